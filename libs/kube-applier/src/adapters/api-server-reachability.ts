import type { KubeClient } from '@sluice/kube';

/** How long the API server may be unreachable before kube-applier reports itself not ready. */
export const KUBE_UNREACHABLE_AFTER_MS = 30_000;
const PROBE_EVERY_MS = 5_000;
const PROBE_TIMEOUT_MS = 3_000;

/**
 * Whether the API server answers: `GET /version` (every authenticated caller may), at most
 * every 5 s, asked when readiness is. Not ready only after 30 s without an answer, so a
 * restart or a blip of the API server does not take the service out of its load balancer —
 * an outage does, and readiness names it.
 */
export class ApiServerReachability {
  private lastAnswer = Date.now();
  private lastProbe = 0;
  private lastError = '';
  private probing: Promise<void> | null = null;

  constructor(
    private readonly kube: KubeClient,
    private readonly unreachableAfterMs = KUBE_UNREACHABLE_AFTER_MS,
  ) {}

  async check(): Promise<{ ok: boolean; detail: string }> {
    if (Date.now() - this.lastProbe >= PROBE_EVERY_MS) this.probing ??= this.probe().finally(() => (this.probing = null));
    await this.probing;
    const silentMs = Date.now() - this.lastAnswer;
    if (silentMs < this.unreachableAfterMs) return { ok: true, detail: `API server answered ${Math.round(silentMs / 1000)} s ago` };
    return { ok: false, detail: `API server ${this.kube.server} unreachable for ${Math.round(silentMs / 1000)} s: ${this.lastError}` };
  }

  private async probe(): Promise<void> {
    this.lastProbe = Date.now();
    try {
      await this.kube.request({ method: 'GET', path: '/version', timeoutMs: PROBE_TIMEOUT_MS });
      this.lastAnswer = Date.now();
    } catch (error) {
      this.lastError = (error as Error).message;
    }
  }
}
