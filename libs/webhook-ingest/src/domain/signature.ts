import { Webhooks } from '@octokit/webhooks';

/**
 * Verifies `X-Hub-Signature-256` against each configured secret (several during a
 * rotation) with `@octokit/webhooks`, whose comparison is constant-time. Every secret
 * is tried, so the time taken does not tell which one matched.
 */
export class SignatureVerifier {
  private readonly verifiers: readonly Webhooks[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('SignatureVerifier: at least one webhook secret is required');
    this.verifiers = secrets.map((secret) => new Webhooks({ secret }));
  }

  async verify(rawBody: string, signature: string): Promise<boolean> {
    if (!/^sha256=[0-9a-f]{64}$/.test(signature)) return false;
    const results = await Promise.all(this.verifiers.map((w) => w.verify(rawBody, signature).catch(() => false)));
    return results.some(Boolean);
  }
}
