import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEnv } from './env';
import { freePort } from './ports';

/** A Kafka node started by infra/kafka.sh that a test may stop (gracefully or as a crash) and start again. */
export interface KafkaNode {
  readonly brokers: string[];
  /** The SASL_PLAINTEXT listener of a private node started with `sasl` (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). */
  readonly saslBrokers?: string[];
  /** SIGTERM (controlled shutdown); `kill: true` is a SIGKILL, a crash. The data is kept. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same data and resolves once it answers an admin call. */
  start(): Promise<void>;
  /** Stops it for good and removes its data (a private node only; a no-op on the shared one). */
  down(): Promise<void>;
}

function kafkaScript(args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const script = requireEnv('SLUICE_TEST_KAFKA_SCRIPT');
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { env: { ...process.env, ...env }, timeout: 180_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`infra/kafka.sh ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve();
    });
  });
}

function nodeIn(runDir: string, brokers: string[], privateDir: boolean, saslBrokers?: string[]): KafkaNode {
  return {
    brokers,
    saslBrokers,
    stop: (options) => kafkaScript(['stop-broker', runDir, ...(options?.kill ? ['kill'] : [])]),
    start: () => kafkaScript(['start-broker', runDir]),
    down: async () => {
      if (!privateDir) return;
      await kafkaScript(['down', runDir]);
      await rm(runDir, { recursive: true, force: true });
    },
  };
}

/**
 * The broker every test file shares (KAFKA_BROKERS). Stopping it disturbs the test files that run
 * at the same time: a broker-loss test should use `startPrivateKafka()` instead.
 */
export function sharedKafkaNode(): KafkaNode {
  const brokers = requireEnv('KAFKA_BROKERS').split(',').map((b) => b.trim()).filter(Boolean);
  return nodeIn(requireEnv('SLUICE_TEST_KAFKA_RUN_DIR'), brokers, false);
}


/**
 * A Kafka node of its own (own ports, own data dir, ~10 s to start) for a test that stops and
 * restarts the broker, or (`sasl`) one that also has a SASL_PLAINTEXT listener with that one
 * user. Call `down()` in `after()`.
 */
export async function startPrivateKafka(options: { sasl?: { username: string; password: string } } = {}): Promise<KafkaNode> {
  const runDir = await mkdtemp(join(tmpdir(), 'sluice-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const saslPort = options.sasl ? await freePort() : undefined;
  try {
    await kafkaScript(['up', runDir], {
      SLUICE_KAFKA_PORT: String(port),
      SLUICE_KAFKA_CONTROLLER_PORT: String(controllerPort),
      ...(options.sasl
        ? { SLUICE_KAFKA_SASL_PORT: String(saslPort), SLUICE_KAFKA_SASL_USER: options.sasl.username, SLUICE_KAFKA_SASL_PASSWORD: options.sasl.password }
        : {}),
    });
  } catch (error) {
    await kafkaScript(['down', runDir]).catch(() => undefined);
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
  return nodeIn(runDir, [`127.0.0.1:${port}`], true, saslPort ? [`127.0.0.1:${saslPort}`] : undefined);
}
