/** A variable the test infrastructure (`npm test` → infra/test.sh) exports; missing = fail loudly, never skip. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests through \`npm test\`, which starts the test infrastructure`);
  }
  return value;
}

export function kafkaBrokers(): string[] {
  return requireEnv('KAFKA_BROKERS').split(',').map((b) => b.trim()).filter(Boolean);
}
