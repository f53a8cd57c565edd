import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { HelmSpec } from '@sluice/contracts';
import { parse as parseYaml } from 'yaml';
import type { ManifestTools } from '../application/render-config';
import { relativeToFolder } from '../domain/config-source';
import { RenderError } from '../domain/errors';
import type { SpecFile } from '../domain/render';
import { ChartRepositories } from './chart-repository';

/** The versions infra/render-tools.sh builds (and kube-applier looks for in its cache by default). */
export const HELM_VERSION = 'v4.3.2';
export const KUSTOMIZE_VERSION = 'v5.8.2';

export interface RenderToolSettings {
  KUBE_APPLIER_HELM_BIN?: string;
  KUBE_APPLIER_KUSTOMIZE_BIN?: string;
  KUBE_APPLIER_HELM_REPOS?: readonly string[];
  KUBE_APPLIER_RENDER_TIMEOUT_SECONDS: number;
  KUBE_APPLIER_RENDER_MAX_BYTES: number;
  /** Where a binary named without a path is looked up. */
  PATH?: string;
}

/** At most this much of a tool's stderr is kept for the error message. */
const MAX_STDERR_BYTES = 64 * 1024;

/**
 * `kustomize build` and `helm template` on a config folder's files (docs/architecture.md §1 "Helm
 * and Kustomize"). The files are written into a private temporary directory (mode 0700, removed
 * afterwards); the tool runs there with no PATH (kustomize cannot run git), its own empty Helm
 * homes (no plugins, repositories or registries of the host's), a proxy that refuses every
 * connection, and the render's time limit and output cap. Charts of a chart repository are
 * fetched by ChartRepositories (allow-listed hosts only); helm itself never fetches. Errors name
 * the repository's paths (`deploy/billing-api/kustomization.yaml`), never the temporary directory.
 */
export class RenderTools implements ManifestTools {
  private readonly charts: ChartRepositories;

  constructor(
    private readonly bins: { helm: string; kustomize: string },
    private readonly limits: { timeoutMs: number; maxBytes: number },
    allowedRepos: readonly string[] = [],
    /** Where a binary named without a path (`helm`) is looked up: the PATH setting. */
    private readonly searchPath = '',
  ) {
    this.charts = new ChartRepositories(allowedRepos, limits);
  }

  static fromSettings(settings: RenderToolSettings): RenderTools {
    return new RenderTools(
      renderToolBins(settings),
      { timeoutMs: settings.KUBE_APPLIER_RENDER_TIMEOUT_SECONDS * 1000, maxBytes: settings.KUBE_APPLIER_RENDER_MAX_BYTES },
      settings.KUBE_APPLIER_HELM_REPOS ?? [],
      settings.PATH ?? '',
    );
  }

  async kustomize(input: { folder: string; files: readonly SpecFile[] }): Promise<string> {
    return this.inTempDir(input, async (dir) => {
      return this.run('kustomize', this.bins.kustomize, ['build', '--load-restrictor', 'LoadRestrictionsRootOnly', dir.config], dir);
    });
  }

  async helm(input: { folder: string; files: readonly SpecFile[]; helm: HelmSpec; release: string; namespace: string }): Promise<string> {
    const { folder, helm } = input;
    const deployYaml = `${folder}/deploy.yaml`;
    for (const values of helm.values ?? []) {
      if (!input.files.some((f) => f.path === `${folder}/${values}`)) throw new RenderError('RenderFailed', `helm.values: ${folder}/${values} is not in the config's folder`, deployYaml);
    }
    let archive: Buffer | undefined;
    let chartDir: string | undefined;
    let chartLabel: string;
    if (helm.path !== undefined) {
      const chartFile = input.files.find((f) => f.path === `${folder}/${helm.path}/Chart.yaml`);
      if (!chartFile) throw new RenderError('RenderFailed', `helm.path: ${folder}/${helm.path} holds no Chart.yaml`, deployYaml);
      const { name, version } = chartOf(chartFile);
      if (name !== helm.chart) throw new RenderError('RenderFailed', `helm.chart is "${helm.chart}" but ${chartFile.path} names the chart "${name ?? '(nothing)'}"`, deployYaml);
      if (helm.version !== undefined && version !== helm.version) throw new RenderError('RenderFailed', `helm.version is "${helm.version}" but ${chartFile.path} is version "${version ?? '(none)'}"`, deployYaml);
      chartDir = helm.path;
      chartLabel = `${folder}/${helm.path}/`;
    } else {
      archive = await this.charts.fetchChart(helm.repo!, helm.chart, helm.version!);
      chartLabel = `chart ${helm.chart} ${helm.version} from ${helm.repo}: ${helm.chart}/`;
    }
    return this.inTempDir(input, async (dir) => {
      let chart: string;
      if (archive) {
        chart = join(dir.root, 'chart.tgz');
        await writeFile(chart, archive, { mode: 0o600 });
      } else {
        chart = join(dir.config, chartDir!);
      }
      const args = ['template', input.release, chart, '--namespace', input.namespace];
      for (const values of helm.values ?? []) args.push('--values', join(dir.config, values));
      // Helm names a template `<chart name>/templates/…`: in the repository that is the chart's folder.
      const chartRef = new RegExp(`(^|[\\s("'])${escapeRegExp(helm.chart)}/`, 'gm');
      return this.run('helm', this.bins.helm, args, dir, (message) => message.replace(chartRef, `$1${chartLabel}`));
    });
  }

  /** Writes the folder's files under `<tmp>/config` (paths relative to the folder) and runs `work` there. */
  private async inTempDir<T>(input: { folder: string; files: readonly SpecFile[] }, work: (dir: TempDir) => Promise<T>): Promise<T> {
    const root = await mkdtemp(join(tmpdir(), 'sluice-render-'));
    const dir: TempDir = { root, config: join(root, 'config'), folder: input.folder.replace(/\/+$/, '') };
    try {
      await mkdir(dir.config, { recursive: true, mode: 0o700 });
      for (const file of input.files) {
        const rel = relativeToFolder(dir.folder, file.path);
        if (rel === null) continue;
        // Repository paths have no `..` or empty segments; a path that does is never written.
        if (rel.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new RenderError('RenderFailed', 'a path with . or .. segments', file.path);
        const target = join(dir.config, rel);
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        await writeFile(target, file.content, { mode: 0o600 });
      }
      for (const home of ['home', 'helm/cache', 'helm/config', 'helm/data', 'helm/plugins']) await mkdir(join(root, home), { recursive: true, mode: 0o700 });
      return await work(dir);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  /** Runs one tool with the render's limits; its stdout, or a RenderError naming repository paths. */
  private run(tool: string, bin: string, args: string[], dir: TempDir, rewrite: (message: string) => string = (m) => m): Promise<string> {
    const scrub = (text: string) =>
      rewrite(text.split(dir.config + '/').join(dir.folder + '/').split(dir.config).join(dir.folder).split(dir.root + '/').join('').split(dir.root).join('.'));
    const env: NodeJS.ProcessEnv = {
      PATH: '',
      HOME: join(dir.root, 'home'),
      TMPDIR: dir.root,
      HELM_CACHE_HOME: join(dir.root, 'helm/cache'),
      HELM_CONFIG_HOME: join(dir.root, 'helm/config'),
      HELM_DATA_HOME: join(dir.root, 'helm/data'),
      HELM_PLUGINS: join(dir.root, 'helm/plugins'),
      KUBECONFIG: join(dir.root, 'no-kubeconfig'),
      // Nothing a render needs is on the network: every connection a tool tries is refused.
      HTTP_PROXY: 'http://127.0.0.1:9',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      ALL_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '',
    };
    const executable = resolveBin(bin, this.searchPath);
    if (!executable) {
      const where = bin.includes('/') ? `is not installed at ${bin}` : `was not found on PATH`;
      return Promise.reject(new RenderError('RenderToolMissing', `${tool} ${where} (KUBE_APPLIER_${tool.toUpperCase()}_BIN; infra/render-tools.sh build installs it)`));
    }
    return new Promise<string>((resolve, reject) => {
      const child = spawn(executable, args, { cwd: dir.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let failure: RenderError | undefined;
      const stop = (error: RenderError) => {
        failure ??= error;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => stop(new RenderError('RenderLimitExceeded', `${tool} did not finish within ${this.limits.timeoutMs / 1000}s (KUBE_APPLIER_RENDER_TIMEOUT_SECONDS)`)), this.limits.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > this.limits.maxBytes) stop(new RenderError('RenderLimitExceeded', `${tool} wrote more than ${this.limits.maxBytes} bytes (KUBE_APPLIER_RENDER_MAX_BYTES)`));
        else out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (errBytes < MAX_STDERR_BYTES) err.push(chunk);
        errBytes += chunk.length;
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(error.code === 'ENOENT' || error.code === 'EACCES' ? new RenderError('RenderToolMissing', `${tool} could not be run (${executable}: ${error.code})`) : error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (failure) return reject(failure);
        if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
        const message = scrub(Buffer.concat(err).toString('utf8')).replace(/\n*Use --debug flag to render out invalid YAML\n*/g, '\n').trim().replace(/^Error:\s*/, '') || `exited with ${signal ?? `code ${code}`}`;
        reject(new RenderError('RenderFailed', `${tool}: ${firstLines(message, 20)}`));
      });
    });
  }
}

interface TempDir {
  root: string;
  /** Where the folder's files are. */
  config: string;
  /** The folder's path in the repository. */
  folder: string;
}

/** The binaries a RenderTools made from these settings runs (tests check they are installed). */
export function renderToolBins(settings: Partial<RenderToolSettings> = {}): { helm: string; kustomize: string } {
  return { helm: settings.KUBE_APPLIER_HELM_BIN ?? defaultBin('helm', HELM_VERSION), kustomize: settings.KUBE_APPLIER_KUSTOMIZE_BIN ?? defaultBin('kustomize', KUSTOMIZE_VERSION) };
}

/** The pinned binary in the cache infra/render-tools.sh fills (its default SLUICE_CACHE), when it is there; else the name, looked up on PATH. */
function defaultBin(tool: string, version: string): string {
  const pinned = join(homedir(), '.cache', 'sluice', 'bin', `${tool}-${version}`, tool);
  return existsSync(pinned) ? pinned : tool;
}

/** A path, or the first match on `searchPath`; undefined when there is none. */
function resolveBin(bin: string, searchPath: string): string | undefined {
  if (bin.includes('/')) return existsSync(bin) ? bin : undefined;
  for (const dir of searchPath.split(delimiter)) {
    if (dir && existsSync(join(dir, bin))) return join(dir, bin);
  }
  return undefined;
}

/** The `name` and `version` of a Chart.yaml. */
function chartOf(file: SpecFile): { name?: string; version?: string } {
  let doc: unknown;
  try {
    doc = parseYaml(file.content, { maxAliasCount: 50 });
  } catch {
    throw new RenderError('RenderFailed', 'Chart.yaml does not parse', file.path);
  }
  const fields = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  return { name: text(fields['name']), version: text(fields['version']) };
}

function firstLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.length > n ? `${lines.slice(0, n).join('\n')}\n… (${lines.length - n} more lines)` : text;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
