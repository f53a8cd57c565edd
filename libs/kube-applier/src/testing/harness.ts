// Test support for this library's integration specs; not exported from index.ts.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { parseEvent, Topics, type EventEnvelope } from '@sluice/contracts';
import { EventStore, EventStoreModule, startSluiceConsumers } from '@sluice/event-store';
import { MESSAGE_BUS, MessagingModule, type MessageBus, type MessageBusOptions } from '@sluice/messaging';
import { applyObject, KubeClient, withBearerToken, type KubeObject } from '@sluice/kube';
import { installRbacCopy, type RbacCopy } from '@sluice/kube/testing';
import { configureApp, loadConfig } from '@sluice/platform';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import { KubeApplierModule, type KubeApplierModuleOptions } from '../kube-applier.module';
import { kubeApplierConfigSchema } from '../kube-applier.config';
import { KUBE_APPLIER_SCHEMA, kubeApplierMigrations } from '../adapters/migrations';
import { outcomeStream } from '../adapters/outcome-reporter';

export interface Harness {
  app: INestApplication;
  bus: MessageBus;
  store: EventStore;
  db: TestDatabase;
  close(): Promise<void>;
}

export async function startKubeApplier(opts: {
  env?: Record<string, string>;
  module: KubeApplierModuleOptions;
  messaging?: MessageBusOptions;
  http?: boolean;
  /** Reuse a database (a restarted instance); it is then not dropped on close. */
  db?: TestDatabase;
}): Promise<Harness> {
  const db = opts.db ?? (await createTestDatabase('kube_applier'));
  const config = loadConfig(kubeApplierConfigSchema, { KUBE_APPLIER_TARGET: 'kube', ...opts.env });
  const moduleRef = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot(opts.messaging ?? {}),
      EventStoreModule.forRoot({ url: db.url, schema: KUBE_APPLIER_SCHEMA, migrations: kubeApplierMigrations, poolSize: 4 }),
      KubeApplierModule.forRoot(config, { consumerGroup: `kube-applier-${randomUUID().slice(0, 8)}`, ...opts.module }),
    ],
  }).compile();
  const app = configureApp(moduleRef.createNestApplication({ logger: false }));
  await app.init();
  await startSluiceConsumers(app);
  if (opts.http) await app.listen(0, '127.0.0.1');
  return {
    app,
    db,
    bus: app.get<MessageBus>(MESSAGE_BUS),
    store: app.get(EventStore),
    close: async () => {
      await app.close();
      if (!opts.db) await db.drop();
    },
  };
}

export interface Target {
  config: string;
  namespace: string;
  team?: string;
  configRepo?: string;
  path?: string;
  artifactImage?: string | null;
  artifactSha: string | null;
  configSha: string | null;
  imageTag?: string | null;
}

let streamVersion = 0;

/** A deploy.requested (or undeploy.requested) envelope as autodeploy publishes it. */
export function request(t: Target, type: 'deploy.requested' | 'undeploy.requested' = 'deploy.requested'): EventEnvelope {
  const deployId = randomUUID();
  const envelope: EventEnvelope = {
    id: randomUUID(),
    type,
    version: 1,
    stream: `config-${t.config}`,
    streamVersion: ++streamVersion,
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    causationId: null,
    data: {
      deployId,
      config: t.config,
      // The team named like the namespace: its default policy allows it (`<team>`, `<team>-*`).
      team: t.team ?? t.namespace,
      namespace: t.namespace,
      configRepo: t.configRepo ?? 'acme/config',
      path: t.path ?? `deploy/${t.config}`,
      artifactRepo: t.artifactSha ? 'acme/app' : null,
      artifactImage: t.artifactImage === undefined ? (t.artifactSha ? 'ghcr.io/acme/app' : null) : t.artifactImage,
      artifactSha: t.artifactSha,
      configSha: t.configSha,
      imageTag: t.imageTag === undefined ? (t.artifactSha ? `main-${t.artifactSha.slice(0, 7)}` : null) : t.imageTag,
      cause: type === 'undeploy.requested' ? 'undeploy' : 'manual',
      requestedBy: 'test',
      reason: 'test',
      reappliedFrom: null,
    },
  };
  parseEvent(envelope); // the test sends only what the contract accepts
  return envelope;
}

export async function publish(bus: MessageBus, envelope: EventEnvelope): Promise<string> {
  await bus.publish(Topics.deploy, [envelope]);
  return (envelope.data as { deployId: string }).deployId;
}

type Reported = { type: string; data: Record<string, unknown>; correlationId: string };

async function reportsOf(store: EventStore, config: string, deployId: string): Promise<Reported[]> {
  const events = await store.readStream(outcomeStream(config));
  return events
    .filter((e) => (e.data as { deployId?: string }).deployId === deployId)
    .map((e) => ({ type: e.type, data: e.data as Record<string, unknown>, correlationId: e.correlationId }));
}

/** The outcomes kube-applier appended for one deploy, in order (its step reports aside: `stepsOf`). */
export async function outcomesOf(store: EventStore, config: string, deployId: string): Promise<Reported[]> {
  return (await reportsOf(store, config, deployId)).filter((e) => e.type !== 'deploy.step');
}

/** The steps kube-applier reported for one deploy, in order: `<step>:<state>`. */
export async function stepsOf(store: EventStore, config: string, deployId: string): Promise<string[]> {
  return (await reportsOf(store, config, deployId)).filter((e) => e.type === 'deploy.step').map((e) => `${e.data['step']}:${e.data['state']}`);
}

export const sha = (seed: string) => (seed.repeat(40) + '0'.repeat(40)).slice(0, 40).replace(/[^0-9a-f]/g, 'a');

export interface ApplierAccess {
  token: string;
  client: KubeClient;
  rbac: RbacCopy;
}

/**
 * kube-applier's least privilege: the ServiceAccount of a private copy of deploy/rbac, with the
 * RoleBinding the operator creates in each namespace a team may deploy to. `rbac.remove()` after.
 */
export async function applierAccess(admin: KubeClient, namespaces: readonly string[]): Promise<ApplierAccess> {
  const rbac = await installRbacCopy(admin);
  for (const ns of namespaces) await rbac.bind(ns, 'sluice-kube-applier-deployer', 'sluice-kube-applier', { verb: 'patch', group: 'apps', resource: 'deployments' });
  const token = await rbac.token('sluice-kube-applier');
  return { token, client: new KubeClient(withBearerToken(admin.config, token)), rbac };
}

const CRD = new URL('../../../../deploy/crds/sluice.dev_deployconfigs.yaml', `file://${__filename}`);

/** Applies the repository's DeployConfig CRD (it may be newer than the one the infra installed). */
export async function installCrd(admin: KubeClient): Promise<void> {
  const [doc] = parseAllDocuments(readFileSync(CRD, 'utf8')) as unknown as Array<{ toJS(): KubeObject }>;
  await applyObject(admin, doc!.toJS(), { fieldManager: 'sluice-tests', force: true });
  await waitUntil(async () => {
    const crd = await admin.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: 'deployconfigs.sluice.dev',
    });
    return !!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
}

