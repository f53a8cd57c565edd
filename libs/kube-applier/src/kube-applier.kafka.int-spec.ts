import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Topics, type EventEnvelope } from '@sluice/contracts';
import { FakeGitHub } from '@sluice/fake-scm';
import type { KubeClient } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace } from '@sluice/kube/testing';
import { createMessageBus, type MessageBus, type Subscription } from '@sluice/messaging';
import { GitHubScm } from '@sluice/scm';
import { kafkaBrokers, uniqueName, waitUntil } from '@sluice/testing';
import { ScmSpecSource } from './adapters/scm-spec-source';
import { applierAccess, publish, request, startKubeApplier, type ApplierAccess, type Harness } from './testing/harness';

/*
 * End to end through Kafka: a deploy.requested published on sluice.deploy.v1 → specs read
 * from (fake) GitHub at the config commit → applied on the real kube-apiserver → outcomes
 * published on sluice.deploy.v1 by the outbox relay.
 */

const TOKEN = 'ghp_kube_applier_test';

describe('kube-applier through Kafka, GitHub and the kube-apiserver', () => {
  let admin: KubeClient;
  let ns: string;
  let github: FakeGitHub;
  let h: Harness;
  let access: ApplierAccess | undefined;
  let observer: MessageBus;
  let subscription: Subscription;
  let configSha: string;
  const seen: EventEnvelope[] = [];

  before(async () => {
    admin = adminClient();
    ns = await createTestNamespace(admin, 'applier-kafka');
    github = new FakeGitHub({ tokens: [TOKEN] });
    await github.start();
    github.seed.repo({ owner: 'acme', name: 'config' });
    configSha = github.seed.commit('acme/config', {
      message: 'shop config',
      files: {
        'deploy/shop/deploy.yaml': `name: shop\nteam: payments\nnamespace: ${ns}\n`,
        'deploy/shop/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: shop }\ndata: { mode: live }\n',
        'deploy/shop/service.yml': 'apiVersion: v1\nkind: Service\nmetadata: { name: shop }\nspec: { ports: [{ port: 80 }] }\n',
        'deploy/shop/notes/ignored.yaml': 'not: a manifest',
        'deploy/other/deployment.yaml': 'kind: Nope',
      },
    });
    const prefix = `${uniqueName('ka')}.`;
    access = await applierAccess(admin, [ns]);
    h = await startKubeApplier({
      messaging: { brokers: kafkaBrokers(), topicPrefix: prefix, clientId: 'kube-applier-test' },
      env: { KUBE_APPLIER_RESYNC_SECONDS: '5', KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.2' },
      module: {
        specSource: new ScmSpecSource(new GitHubScm({ baseUrl: github.url, credentials: { kind: 'token', token: TOKEN } })),
        kubeClient: access.client,
        watchNamespace: ns,
      },
    });
    observer = createMessageBus({ brokers: kafkaBrokers(), topicPrefix: prefix, clientId: 'observer' });
    await observer.ensureTopics([Topics.deploy]);
    subscription = await observer.subscribe({
      group: uniqueName('observer'),
      topics: [Topics.deploy],
      handler: async (envelope) => {
        seen.push(envelope);
      },
    });
  });

  after(async () => {
    await subscription?.stop();
    await observer?.close();
    await h?.close();
    await github?.stop();
    await access?.rbac.remove();
    if (ns) await deleteTestNamespace(admin, ns);
  });

  it('deploy.requested in, deploy.started / applied / succeeded out on sluice.deploy.v1', async () => {
    const envelope = request({ config: 'shop', namespace: ns, artifactSha: null, configSha });
    const deployId = await publish(observer, envelope);
    const outcomes = () => seen.filter((e) => e.stream === 'applier-shop' && e.type !== 'deploy.step' && (e.data as { deployId: string }).deployId === deployId);
    await waitUntil(() => outcomes().some((e) => e.type === 'deploy.succeeded'), { timeoutMs: 60_000, message: 'deploy.succeeded on Kafka' });
    assert.deepEqual(outcomes().map((e) => e.type), ['deploy.started', 'deploy.applied', 'deploy.succeeded']);
    assert.ok(outcomes().every((e) => e.correlationId === envelope.correlationId && e.causationId === envelope.id));
    const applied = outcomes().find((e) => e.type === 'deploy.applied')!.data as { inventory: Array<{ kind: string; name: string }>; dryRun: boolean };
    assert.equal(applied.dryRun, false);
    assert.deepEqual(applied.inventory.map((e) => `${e.kind}/${e.name}`).sort(), ['ConfigMap/shop', 'Service/shop']);
    const cm = (await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'shop' })) as { data?: Record<string, string> } & { metadata: { labels?: Record<string, string> } };
    assert.equal(cm.data?.['mode'], 'live');
    assert.equal(cm.metadata.labels?.['sluice.dev/config'], 'shop');
  });
});
