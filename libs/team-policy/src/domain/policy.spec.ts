import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { teamPolicySpec } from '@sluice/contracts';
import { checkClusterKind, checkPlacement, defaultPolicy, selectorMatches, type TeamPolicy } from './policy';

const ctx = { sluiceNamespace: 'sluice-system' };
const at = (namespace: string, configRepo = 'acme/deploy-configs') => ({ config: 'billing-api', team: 'payments', namespace, configRepo });
const configured = (spec: Partial<TeamPolicy>): TeamPolicy => ({ ...defaultPolicy('payments'), source: 'api', ...spec });

describe('team policy: placement', () => {
  it('the default policy allows <team> and <team>-* from any repository', () => {
    for (const ns of ['payments', 'payments-staging', 'payments-pr-12']) assert.equal(checkPlacement(at(ns, 'anyone/anything'), defaultPolicy('payments'), ctx).allowed, true, ns);
  });

  it('the default policy refuses kube-*, default, Sluice’s own namespace and another team’s namespace, naming the rule', () => {
    const cases: Array<[string, string]> = [
      ['kube-system', 'ReservedNamespace'],
      ['kube-public', 'ReservedNamespace'],
      ['default', 'ReservedNamespace'],
      ['sluice-system', 'ReservedNamespace'],
      ['checkout', 'NamespaceNotAllowed'],
      ['paymentsx', 'NamespaceNotAllowed'],
    ];
    for (const [ns, reason] of cases) {
      const v = checkPlacement(at(ns), defaultPolicy('payments'), ctx);
      assert.equal(v.allowed, false, ns);
      assert.equal(!v.allowed && v.reason, reason, ns);
      assert.match(!v.allowed ? v.message : '', new RegExp(`"${ns}"`));
    }
  });

  it('a configured policy restricts repositories (owner/name, owner/*), case-insensitively', () => {
    const p = configured({ repositories: ['acme/deploy-configs', 'payments-org/*', 'shared/pay*'] });
    assert.equal(checkPlacement(at('payments', 'ACME/Deploy-Configs'), p, ctx).allowed, true);
    assert.equal(checkPlacement(at('payments', 'payments-org/infra'), p, ctx).allowed, true);
    assert.equal(checkPlacement(at('payments', 'shared/Payments-configs'), p, ctx).allowed, true);
    assert.equal(checkPlacement(at('payments', 'shared/billing'), p, ctx).allowed, false);
    const v = checkPlacement(at('payments', 'mallory/configs'), p, ctx);
    assert.equal(!v.allowed && v.reason, 'RepositoryNotAllowed');
    assert.match(!v.allowed ? v.message : '', /mallory\/configs.*allowed: acme\/deploy-configs, payments-org\/\*, shared\/pay\*/);
  });

  it('GitLab subgroup paths: a pattern matches at its own depth only, so owner/* never reaches into a subgroup', () => {
    const p = configured({ repositories: ['acme/*', 'acme/platform/*', 'acme/data/infra/cfg*', 'gl/team/exact'] });
    const allowed = (repo: string) => checkPlacement(at('payments', repo), p, ctx).allowed;
    assert.equal(allowed('acme/billing'), true);
    assert.equal(allowed('acme/platform/gitlab-config'), true);
    assert.equal(allowed('ACME/Platform/Other'), true);
    assert.equal(allowed('acme/data/infra/cfg-payments'), true);
    assert.equal(allowed('gl/team/exact'), true);
    assert.equal(allowed('acme/data/x'), false, 'acme/* is one level: not a subgroup of acme');
    assert.equal(allowed('acme/platform/deeper/x'), false, 'acme/platform/* is not acme/platform/deeper/*');
    assert.equal(allowed('acme/data/infra/other'), false);
    assert.equal(allowed('gl/team'), false);
    assert.equal(allowed('gl/team/exact/more'), false);
    assert.equal(checkPlacement(at('payments', 'acme/platform/deeper/x'), configured({ repositories: ['*'] }), ctx).allowed, true, '* is every repository');
    assert.equal(teamPolicySpec.safeParse({ repositories: ['acme/platform/*', 'a/b/c/d*'], namespaces: ['payments'] }).success, true);
    for (const bad of ['acme', 'acme/', 'acme/*/x', '/acme/x', 'acme//x', 'acme/**']) {
      assert.equal(teamPolicySpec.safeParse({ repositories: [bad], namespaces: ['payments'] }).success, false, bad);
    }
  });

  it('kube-* and default only when named exactly by a configured policy; Sluice’s namespace never', () => {
    assert.equal(checkPlacement(at('kube-system'), configured({ namespaces: ['kube-system'] }), ctx).allowed, true);
    assert.equal(checkPlacement(at('kube-system'), configured({ namespaces: ['kube-*'] }), ctx).allowed, false);
    assert.equal(checkPlacement(at('default'), configured({ namespaces: ['*'] }), ctx).allowed, false);
    assert.equal(checkPlacement(at('sluice-system'), configured({ namespaces: ['sluice-system'] }), ctx).allowed, false);
  });

  it('a label selector is pending where labels are unknown, and decided where they are known', () => {
    const p = configured({ namespaces: [], namespaceSelector: { matchLabels: { team: 'payments' } } });
    assert.deepEqual(checkPlacement(at('shop'), p, ctx), { allowed: true, pendingSelector: true });
    assert.equal(checkPlacement(at('shop'), p, { ...ctx, namespaceLabels: { team: 'payments' } }).allowed, true);
    const v = checkPlacement(at('shop'), p, { ...ctx, namespaceLabels: { team: 'checkout' } });
    assert.equal(!v.allowed && v.reason, 'NamespaceNotAllowed');
    assert.match(!v.allowed ? v.message : '', /labelled team=payments/);
  });
});

describe('team policy: label selectors', () => {
  it('follows Kubernetes semantics for matchLabels and every operator', () => {
    const labels = { env: 'prod', tier: 'web' };
    assert.equal(selectorMatches({}, labels), true);
    assert.equal(selectorMatches({ matchLabels: { env: 'prod' } }, labels), true);
    assert.equal(selectorMatches({ matchLabels: { env: 'dev' } }, labels), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels), false);
  });
});

describe('team policy: cluster-scoped kinds', () => {
  it('are refused unless the policy lists the kind and group', () => {
    const cr = { kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', name: 'reader' };
    const v = checkClusterKind(cr, defaultPolicy('payments'));
    assert.equal(!v.allowed && v.reason, 'ClusterKindNotAllowed');
    assert.match(!v.allowed ? v.message : '', /ClusterRole\.rbac\.authorization\.k8s\.io is cluster-scoped/);
    assert.equal(checkClusterKind(cr, configured({ clusterKinds: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }] })).allowed, true);
    assert.equal(checkClusterKind(cr, configured({ clusterKinds: [{ group: '', kind: 'ClusterRole' }] })).allowed, false);
  });
});

describe('team policy: the admin’s input', () => {
  it('is strict about shapes and names the bad field', () => {
    assert.equal(teamPolicySpec.safeParse({ repositories: ['acme/*'], namespaces: ['payments', 'payments-*'] }).success, true);
    for (const bad of [
      { repositories: ['../etc'], namespaces: [] },
      { repositories: [], namespaces: ['Payments'] },
      { repositories: [], namespaces: ['pay*ments'] },
      { repositories: [], namespaces: [], extra: true },
      { repositories: [], namespaces: [], clusterKinds: [{ group: '', kind: 'namespace' }] },
    ]) {
      assert.equal(teamPolicySpec.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});
