import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer, type FakeServerOptions } from '../common/fake-server';
import type { RateLimitInjection } from '../common/faults';
import { FakeHttpError, type FakeRequest, type FakeResponse } from '../common/types';

/** Argo CD's REST API description (Swagger 2.0, argoproj/argo-cd `assets/swagger.json`, Apache-2.0), the subset Sluice uses. */
export const ARGOCD_SWAGGER_PATH = join(__dirname, 'fixtures', 'argocd-api.subset.swagger.json');

export interface FakeArgoCdOptions extends FakeServerOptions {
  /** Bearer tokens (Argo CD API tokens) accepted. */
  readonly tokens: readonly string[];
  /** How long a sync operation runs before it ends; default 300 ms. */
  readonly syncDurationMs?: number;
}

/** How the next sync of an application ends: Succeeded (then Healthy, or Degraded), or Failed with Argo's message. */
export type SyncOutcome = { readonly phase: 'Succeeded'; readonly health?: 'Healthy' | 'Degraded' } | { readonly phase: 'Failed' | 'Error'; readonly message: string };

interface AppState {
  readonly name: string;
  readonly repoURL: string;
  readonly path: string;
  readonly namespace: string;
  revision: string | null;
  syncStatus: 'Synced' | 'OutOfSync' | 'Unknown';
  health: 'Healthy' | 'Progressing' | 'Degraded' | 'Missing';
  healthMessage: string | null;
  operation: { phase: 'Running' | 'Succeeded' | 'Failed' | 'Error'; revision: string; startedAt: string; finishedAt: string | null; message: string } | null;
  next: SyncOutcome;
}

/**
 * Argo CD as Sluice drives it: bearer-token auth, applications that go OutOfSync → Synced on a sync
 * request, their operation Running → Succeeded or Failed (scripted per application), hard refreshes
 * counted. Every request body is checked against, and every answer validated by, Argo CD's own API
 * description.
 */
export class FakeArgoCd extends FakeServer {
  private readonly apps = new Map<string, AppState>();
  private readonly validators = new Map<string, ValidateFunction>();
  /** Sync requests received, per application, with the revision asked for. */
  readonly syncs: Array<{ app: string; revision: string | null }> = [];
  readonly refreshes: string[] = [];

  constructor(private readonly options: FakeArgoCdOptions) {
    super(options);
    const doc = JSON.parse(readFileSync(ARGOCD_SWAGGER_PATH, 'utf8')) as { definitions: Record<string, object> };
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'argocd', definitions: doc.definitions });
    for (const name of ['v1alpha1Application', 'v1alpha1ApplicationList', 'applicationApplicationSyncRequest', 'runtimeError']) {
      this.validators.set(name, ajv.compile({ $ref: `argocd#/definitions/${name}` }));
    }
    this.router.add('GET', '/api/v1/applications', () => ({ status: 200, body: { metadata: {}, items: [...this.apps.values()].map((a) => this.view(a)) } }), 'v1alpha1ApplicationList');
    this.router.add('GET', '/api/v1/applications/{name}', (req) => this.get(req), 'v1alpha1Application');
    this.router.add('POST', '/api/v1/applications/{name}/sync', (req) => this.sync(req), 'v1alpha1Application');
  }

  /** An application watching `path` of `repoURL`, deployed to `namespace`; OutOfSync until synced. */
  application(name: string, input: { repoURL: string; path: string; namespace: string }): void {
    this.apps.set(name, { name, ...input, revision: null, syncStatus: 'OutOfSync', health: 'Missing', healthMessage: null, operation: null, next: { phase: 'Succeeded' } });
  }

  /** How the next sync of `name` ends. */
  nextSync(name: string, outcome: SyncOutcome): void {
    this.require(name).next = outcome;
  }

  private require(name: string): AppState {
    const app = this.apps.get(name);
    if (!app) throw new FakeHttpError(404, { error: `applications.argoproj.io "${name}" not found`, code: 5, message: `applications.argoproj.io "${name}" not found` });
    return app;
  }

  private get(req: FakeRequest): FakeResponse {
    const app = this.require(decodeURIComponent(req.params.name!));
    if (req.query.get('refresh') === 'hard' || req.query.get('refresh') === 'normal') this.refreshes.push(app.name);
    return { status: 200, body: this.view(app) };
  }

  private sync(req: FakeRequest): FakeResponse {
    const app = this.require(decodeURIComponent(req.params.name!));
    this.check('applicationApplicationSyncRequest', req.body ?? {}, 'request');
    if (app.operation?.phase === 'Running') throw new FakeHttpError(400, { error: 'another operation is already in progress', code: 9, message: 'another operation is already in progress' });
    const revision = (req.body as { revision?: string } | undefined)?.revision ?? null;
    this.syncs.push({ app: app.name, revision });
    const startedAt = new Date(this.nowMs()).toISOString();
    app.operation = { phase: 'Running', revision: revision ?? 'HEAD', startedAt, finishedAt: null, message: 'waiting for completion of hook and sync' };
    app.health = 'Progressing';
    const outcome = app.next;
    app.next = { phase: 'Succeeded' };
    setTimeout(() => {
      const op = app.operation!;
      op.finishedAt = new Date(this.nowMs()).toISOString();
      if (outcome.phase === 'Succeeded') {
        op.phase = 'Succeeded';
        op.message = 'successfully synced (all tasks run)';
        app.syncStatus = 'Synced';
        app.revision = op.revision;
        app.health = outcome.health ?? 'Healthy';
        app.healthMessage = app.health === 'Degraded' ? 'Deployment "api" exceeded its progress deadline' : null;
      } else {
        op.phase = outcome.phase;
        op.message = outcome.message;
        app.health = 'Degraded';
      }
    }, this.options.syncDurationMs ?? 300).unref();
    return { status: 200, body: this.view(app) };
  }

  private view(app: AppState): Record<string, unknown> {
    return {
      metadata: { name: app.name, namespace: 'argocd' },
      spec: { project: 'default', source: { repoURL: app.repoURL, path: app.path, targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: app.namespace } },
      status: {
        sync: { status: app.syncStatus, ...(app.revision ? { revision: app.revision } : {}) },
        health: { status: app.health, ...(app.healthMessage ? { message: app.healthMessage } : {}) },
        ...(app.operation
          ? {
              operationState: {
                phase: app.operation.phase,
                message: app.operation.message,
                startedAt: app.operation.startedAt,
                ...(app.operation.finishedAt ? { finishedAt: app.operation.finishedAt } : {}),
                operation: { sync: { revision: app.operation.revision } },
                ...(app.operation.phase === 'Succeeded' ? { syncResult: { revision: app.operation.revision } } : {}),
              },
            }
          : {}),
      },
    };
  }

  private check(definition: string, body: unknown, what: 'request' | 'answer'): void {
    const validate = this.validators.get(definition)!;
    if (validate(body)) return;
    const issues = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`).join('; ');
    if (what === 'request') throw new FakeHttpError(400, { error: `invalid request: ${issues}`, code: 3, message: `invalid request: ${issues}` });
    throw new Error(`fake Argo CD ${definition} answer drifted from Argo CD's description: ${issues}`);
  }

  protected override checkResponse(_req: FakeRequest, tag: string | undefined, res: FakeResponse): void {
    this.check(res.status === 200 && tag ? tag : 'runtimeError', res.body, 'answer');
  }

  protected authKind(req: FakeRequest): string {
    return /^bearer\s/i.test(String(req.headers.authorization ?? '')) ? 'bearer' : 'none';
  }

  protected authenticate(req: FakeRequest): void {
    const token = /^bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    req.auth = { kind: this.authKind(req) };
    if (!token || !this.options.tokens.includes(token)) throw new FakeHttpError(401, { error: 'invalid session: token is invalid', code: 16, message: 'invalid session: token is invalid' });
  }

  protected commonHeaders(): Record<string, string> {
    return {};
  }

  protected rateLimitedResponse(spec: RateLimitInjection): FakeResponse {
    return { status: spec.status, headers: { 'retry-after': String(spec.retryAfterSeconds) }, body: { error: 'too many requests', code: 8, message: 'too many requests' } };
  }

  protected override notFoundBody(): unknown {
    return { error: 'Not Found', code: 5, message: 'Not Found' };
  }
}
