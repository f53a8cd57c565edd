import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@sluice/platform';
import { kubeApplierConfigSchema } from './kube-applier.config';
import { resolveKubeConfig } from './kube-applier.module';

describe('kube-applier config', () => {
  it('has documented defaults', () => {
    const c = loadConfig(kubeApplierConfigSchema, {});
    assert.equal(c.KUBE_APPLIER_TARGET, 'auto');
    assert.equal(c.KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS, 300);
    assert.equal(c.KUBE_APPLIER_RESYNC_SECONDS, 60);
    assert.equal(c.KUBE_APPLIER_HEALTH_POLL_SECONDS, 5);
    assert.equal(c.KUBE_APPLIER_CONCURRENCY, 8);
    assert.equal(c.KUBE_APPLIER_RENDER_TIMEOUT_SECONDS, 30);
    assert.equal(c.KUBE_APPLIER_RENDER_MAX_BYTES, 8 * 1024 * 1024);
    assert.equal(c.KUBE_APPLIER_HELM_REPOS, undefined);
  });

  it('reads the chart repository allow-list as hosts, refusing URLs', () => {
    assert.deepEqual(loadConfig(kubeApplierConfigSchema, { KUBE_APPLIER_HELM_REPOS: 'charts.example.com, 127.0.0.1:8879' }).KUBE_APPLIER_HELM_REPOS, ['charts.example.com', '127.0.0.1:8879']);
    assert.throws(
      () => loadConfig(kubeApplierConfigSchema, { KUBE_APPLIER_HELM_REPOS: 'https://charts.example.com', KUBE_APPLIER_RENDER_MAX_BYTES: '0' }),
      (err: unknown) => err instanceof ConfigError && err.problems.map((p) => p.variable.split('.')[0]).sort().join() === 'KUBE_APPLIER_HELM_REPOS,KUBE_APPLIER_RENDER_MAX_BYTES',
    );
  });

  it('names the bad variable', () => {
    assert.throws(
      () => loadConfig(kubeApplierConfigSchema, { KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS: 'soon', KUBE_APPLIER_TARGET: 'cloud' }),
      (err: unknown) => err instanceof ConfigError && err.problems.map((p) => p.variable).sort().join() === 'KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS,KUBE_APPLIER_TARGET',
    );
  });

  it('falls back to the dry-run target without a cluster, unless a cluster is required', () => {
    assert.equal(resolveKubeConfig(loadConfig(kubeApplierConfigSchema, {})), undefined);
    assert.equal(resolveKubeConfig(loadConfig(kubeApplierConfigSchema, { KUBECONFIG: '/nowhere', KUBE_APPLIER_TARGET: 'dry-run' })), undefined);
    assert.throws(() => resolveKubeConfig(loadConfig(kubeApplierConfigSchema, { KUBE_APPLIER_TARGET: 'kube' })), /KUBECONFIG/);
    assert.throws(() => resolveKubeConfig(loadConfig(kubeApplierConfigSchema, { KUBECONFIG: '/nowhere/kubeconfig' })), ConfigError);
  });
});
