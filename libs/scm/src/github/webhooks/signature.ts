import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * Verifies `X-Hub-Signature-256` against each configured secret (several during a
 * rotation). The HMAC is computed over the exact bytes received and stored, not over a
 * decoded string: `@octokit/webhooks` only takes a string, and decoding then re-encoding
 * changes a body that is not valid UTF-8, so what was checked would not be what is kept.
 * Every secret is tried and compared in constant time, so the time taken tells neither
 * how much of the signature matched nor which secret did.
 */
export class SignatureVerifier {
  private readonly secrets: readonly Buffer[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('SignatureVerifier: at least one webhook secret is required');
    this.secrets = secrets.map((secret) => Buffer.from(secret, 'utf8'));
  }

  verify(rawBody: Buffer, signature: string): boolean {
    const presented = SIGNATURE.exec(signature);
    if (!presented) return false;
    const expected = Buffer.from(presented[1]!, 'hex');
    let matched = false;
    for (const secret of this.secrets) {
      const digest = createHmac('sha256', secret).update(rawBody).digest();
      // The comparison comes first, so the secrets after a match are still compared.
      matched = timingSafeEqual(digest, expected) || matched;
    }
    return matched;
  }
}
