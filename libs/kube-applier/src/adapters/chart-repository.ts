import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { RenderError } from '../domain/errors';

/**
 * A chart from a Helm chart repository (`helm.repo`, docs/architecture.md §1 "Helm and Kustomize"),
 * fetched by kube-applier itself so that helm never reaches the network: `<repo>/index.yaml`, the
 * chart's entry at the pinned version, then its archive (digest checked when the index has one).
 * Every URL asked for — the repository, a redirect, the archive the index names — must be on a
 * host of the allow-list (`KUBE_APPLIER_HELM_REPOS`): a config cannot make Sluice fetch anything
 * else (no SSRF). Each fetch has the render's time limit and a size cap.
 */
export class ChartRepositories {
  constructor(
    private readonly allowed: readonly string[],
    private readonly limits: { timeoutMs: number; maxBytes: number },
  ) {}

  /** Is this URL's host one kube-applier may fetch charts from? `host` entries allow any port; `host:port` that port only. */
  allows(url: URL): boolean {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
    const hostname = url.hostname.toLowerCase();
    const port = url.port || defaultPort(url);
    return this.allowed.some((entry) => {
      const e = entry.toLowerCase();
      return /:\d+$/.test(e) ? e === `${hostname}:${port}` : e === hostname;
    });
  }

  /** The chart archive (`.tgz`) of `chart` at `version` in `repo`. Throws RenderError('ChartUnavailable'). */
  async fetchChart(repo: string, chart: string, version: string): Promise<Buffer> {
    const base = new URL(repo.replace(/\/+$/, '') + '/');
    this.check(base, `helm.repo ${repo}`);
    const indexUrl = new URL('index.yaml', base);
    const index = await this.get(indexUrl);
    let parsed: unknown;
    try {
      parsed = parseYaml(index.toString('utf8'), { maxAliasCount: 100 });
    } catch (err) {
      throw new RenderError('ChartUnavailable', `${indexUrl.href} is not a chart repository index: ${(err as Error).message.split('\n')[0]}`);
    }
    const entries = (parsed as { entries?: Record<string, unknown> } | null)?.entries?.[chart];
    const entry = Array.isArray(entries) ? (entries as Array<Record<string, unknown>>).find((e) => String(e?.['version']) === version) : undefined;
    if (!entry) throw new RenderError('ChartUnavailable', `chart ${chart} version ${version} is not in ${indexUrl.href}`);
    const urls = entry['urls'];
    if (!Array.isArray(urls) || typeof urls[0] !== 'string') throw new RenderError('ChartUnavailable', `chart ${chart} ${version} in ${indexUrl.href} names no archive`);
    let archiveUrl: URL;
    try {
      archiveUrl = new URL(urls[0], base);
    } catch {
      throw new RenderError('ChartUnavailable', `chart ${chart} ${version} in ${indexUrl.href}: "${urls[0]}" is not a URL`);
    }
    this.check(archiveUrl, `the archive of chart ${chart} ${version} (${archiveUrl.href})`);
    const archive = await this.get(archiveUrl);
    const digest = entry['digest'];
    if (typeof digest === 'string' && digest !== '') {
      const actual = createHash('sha256').update(archive).digest('hex');
      if (actual !== digest.replace(/^sha256:/, '')) throw new RenderError('ChartUnavailable', `${archiveUrl.href}: digest ${actual} is not the index's ${digest}`);
    }
    return archive;
  }

  private check(url: URL, what: string): void {
    if (!this.allows(url)) {
      throw new RenderError('ChartUnavailable', `${what}: host ${url.host} is not an allowed chart repository (KUBE_APPLIER_HELM_REPOS: ${this.allowed.length ? this.allowed.join(',') : 'none'})`);
    }
  }

  /** GET with the time limit and size cap; redirects are followed only to allowed hosts, at most 3. */
  private async get(url: URL): Promise<Buffer> {
    const deadline = AbortSignal.timeout(this.limits.timeoutMs);
    let current = url;
    for (let hop = 0; hop <= 3; hop++) {
      let res: Response;
      try {
        res = await fetch(current, { redirect: 'manual', signal: deadline, headers: { accept: '*/*', 'user-agent': 'sluice-kube-applier' } });
      } catch (err) {
        const timedOut = deadline.aborted;
        throw new RenderError(timedOut ? 'RenderLimitExceeded' : 'ChartUnavailable', timedOut ? `${current.href}: no answer within ${this.limits.timeoutMs / 1000}s (KUBE_APPLIER_RENDER_TIMEOUT_SECONDS)` : `${current.href}: ${(err as Error).message}${causeOf(err)}`);
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel();
        const next = new URL(res.headers.get('location')!, current);
        this.check(next, `${current.href} redirects to ${next.href}`);
        current = next;
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new RenderError('ChartUnavailable', `${current.href}: HTTP ${res.status}`);
      }
      return readCapped(res, current, this.limits.maxBytes);
    }
    throw new RenderError('ChartUnavailable', `${url.href}: too many redirects`);
  }
}

async function readCapped(res: Response, url: URL, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new RenderError('RenderLimitExceeded', `${url.href}: ${declared} bytes, more than ${maxBytes} (KUBE_APPLIER_RENDER_MAX_BYTES)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new RenderError('RenderLimitExceeded', `${url.href}: more than ${maxBytes} bytes (KUBE_APPLIER_RENDER_MAX_BYTES)`);
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}

function defaultPort(url: URL): string {
  return url.protocol === 'https:' ? '443' : '80';
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message})` : '';
}
