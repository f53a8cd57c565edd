import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeployConfigRoot, DeploySkipCode } from '@sluice/contracts';
import type { ConfigEvent } from './config-events';
import { ALL_KNOWN, decide, type CommitFacts, type ConfigCommand, type Decision } from './decide';
import { fold, type DeployTarget } from './state';
import { BILLING_ROOT } from '../testing/fixtures';

const NAME = 'billing-api';
const S1 = '1111111111111111111111111111111111111111';
const S2 = '2222222222222222222222222222222222222222';
const S3 = '3333333333333333333333333333333333333333';
const C1 = 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1';
const C2 = 'c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2';
const D = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;

const artifactful: DeployConfigRoot = { ...BILLING_ROOT, name: NAME };
const artifactless: DeployConfigRoot = { ...artifactful, artifact: null };

const registered = (root: DeployConfigRoot = artifactful): ConfigEvent => ({
  type: 'config.registered',
  data: { config: NAME, root: { ...root }, configSha: C1 },
});

function target(deployId: string, artifactSha: string | null, configSha: string | null, extra: Partial<DeployTarget> = {}): DeployTarget {
  return {
    deployId,
    config: NAME,
    team: 'payments',
    namespace: 'payments',
    configRepo: 'acme/config',
    path: 'deploy/billing-api',
    artifactRepo: 'acme/billing',
    artifactImage: 'ghcr.io/acme/billing',
    artifactSha,
    configSha,
    imageTag: artifactSha ? `main-${artifactSha.slice(0, 7)}` : null,
    cause: 'autodeploy',
    requestedBy: 'autodeploy',
    reason: 'build',
    reappliedFrom: null,
    ...extra,
  };
}

const requested = (t: DeployTarget): ConfigEvent => ({ type: 'deploy.requested', data: t });
const queued = (t: DeployTarget): ConfigEvent => ({ type: 'deploy.queued', data: t });
const succeeded = (deployId: string): ConfigEvent => ({ type: 'deploy.succeeded', data: { deployId, config: NAME } });
const applied = (deployId: string): ConfigEvent => ({ type: 'deploy.applied', data: { deployId, config: NAME, dryRun: false, inventory: [] } });
const failed = (deployId: string): ConfigEvent => ({
  type: 'deploy.failed',
  data: { deployId, config: NAME, reason: 'ApplyFailed', message: 'bad manifest', terminal: true },
});

function request(deployId: string, artifactSha: string | null, configSha: string | null, over: Partial<Extract<ConfigCommand, { type: 'RequestDeploy' }>> = {}): ConfigCommand {
  return { type: 'RequestDeploy', deployId, pair: { artifactSha, configSha }, cause: 'autodeploy', requestedBy: 'autodeploy', reason: 'build', reappliedFrom: null, facts: ALL_KNOWN, ...over };
}

function manual(deployId: string, artifactSha: string | null, configSha: string | null, facts: CommitFacts = ALL_KNOWN): ConfigCommand {
  return request(deployId, artifactSha, configSha, { cause: 'manual', requestedBy: 'team:payments', reason: 'rollback', facts });
}

/** given(events).when(command) → the decision, checked with then/thenRefused. */
function given(...history: ConfigEvent[]) {
  return {
    when(command: ConfigCommand) {
      const decision: Decision = decide(command, fold(history), NAME);
      return {
        decision,
        then(events: readonly ConfigEvent[], deployId?: string | null) {
          assert.equal(decision.error, null, decision.error?.message);
          assert.deepEqual(decision.events, events);
          if (deployId !== undefined) assert.equal(decision.deployId, deployId);
        },
        thenRefused(kind: string, message: string | RegExp, recorded: readonly ConfigEvent[] = []) {
          assert.ok(decision.error, 'expected a refusal');
          assert.equal(decision.error.kind, kind);
          if (typeof message === 'string') assert.equal(decision.error.message, message);
          else assert.match(decision.error.message, message);
          assert.deepEqual(decision.events, recorded);
        },
      };
    },
  };
}

const rejected = (artifactSha: string | null, configSha: string | null, message: string): ConfigEvent => ({
  type: 'deploy.rejected',
  data: { config: NAME, artifactSha, configSha, cause: 'manual', requestedBy: 'team:payments', reason: 'rollback', message },
});
const skippedEvent = (artifactSha: string | null, configSha: string | null, code: DeploySkipCode, message: string): ConfigEvent => ({
  type: 'deploy.skipped',
  data: { config: NAME, artifactSha, configSha, cause: 'autodeploy', requestedBy: 'autodeploy', reason: 'build', code, message },
});
const pinned: ConfigEvent = { type: 'config.pinned', data: { config: NAME, by: 'team:payments', reason: `manual deploy ${D(1)}: rollback` } };

describe('decide: registration', () => {
  it('registers a config discovered for the first time', () => {
    given().when({ type: 'RegisterConfig', root: artifactful, configSha: C1 }).then([registered()]);
  });

  it('records nothing when the root fields did not change', () => {
    given(registered()).when({ type: 'RegisterConfig', root: artifactful, configSha: C2 }).then([]);
  });

  it('records nothing for the same root fields in another key order (as jsonb returns them)', () => {
    const reordered = Object.fromEntries(Object.entries(artifactful).reverse()) as DeployConfigRoot;
    given(registered(reordered)).when({ type: 'RegisterConfig', root: artifactful, configSha: C2 }).then([]);
  });

  it('registers changed root fields again', () => {
    const changed = { ...artifactful, autodeploy: false };
    given(registered())
      .when({ type: 'RegisterConfig', root: changed, configSha: C2 })
      .then([{ type: 'config.registered', data: { config: NAME, root: { ...changed }, configSha: C2 } }]);
  });

  it('refuses a second config repository defining the same name (names are unique)', () => {
    given(registered())
      .when({ type: 'RegisterConfig', root: { ...artifactful, configRepo: 'other/config' }, configSha: C2 })
      .thenRefused('conflict', 'config "billing-api" is already defined by acme/config/deploy/billing-api; other/config/deploy/billing-api cannot define it too');
  });

  it('follows a renamed repository: the config repository or the artifact repository, at the same config commit', () => {
    given(registered())
      .when({ type: 'FollowRepoRename', from: 'acme/billing', to: 'payments/ledger' })
      .then([{ type: 'config.registered', data: { config: NAME, root: { ...artifactful, artifact: { ...artifactful.artifact!, repo: 'payments/ledger' } }, configSha: C1 } }]);
    given(registered())
      .when({ type: 'FollowRepoRename', from: 'acme/config', to: 'acme/deployments' })
      .then([{ type: 'config.registered', data: { config: NAME, root: { ...artifactful, configRepo: 'acme/deployments' }, configSha: C1 } }]);
    // Afterwards the config repository under its new name may register the config again.
    given(registered(), { type: 'config.registered', data: { config: NAME, root: { ...artifactful, configRepo: 'acme/deployments' }, configSha: C1 } })
      .when({ type: 'RegisterConfig', root: { ...artifactful, configRepo: 'acme/deployments' }, configSha: C2 })
      .then([]);
  });

  it('records nothing for a rename of a repository the config does not name, or a config not active', () => {
    given(registered()).when({ type: 'FollowRepoRename', from: 'acme/other', to: 'acme/else' }).then([]);
    given().when({ type: 'FollowRepoRename', from: 'acme/billing', to: 'payments/ledger' }).then([]);
  });

  it('registers a removed config that is discovered again', () => {
    given(registered(), { type: 'config.removed', data: { config: NAME, configSha: C2 } })
      .when({ type: 'RegisterConfig', root: artifactful, configSha: C2 })
      .then([{ type: 'config.registered', data: { config: NAME, root: { ...artifactful }, configSha: C2 } }]);
  });
});

describe('decide: state pairs (§1)', () => {
  it('artifactful accepts (sha, sha)', () => {
    given(registered()).when(request(D(1), S1, C1)).then([requested(target(D(1), S1, C1))], D(1));
  });

  it("carries a GitLab config repository's provider into the request (kube-applier reads the specs there)", () => {
    given(registered({ ...artifactful, configRepoProvider: 'gitlab' }))
      .when(request(D(1), S1, C1))
      .then([requested(target(D(1), S1, C1, { configRepoProvider: 'gitlab' }))], D(1));
  });

  it('artifactful accepts (null, null): an undeploy', () => {
    given(registered(), requested(target(D(1), S1, C1)), succeeded(D(1)))
      .when(request(D(2), null, null, { cause: 'manual', requestedBy: 'admin', reason: '' }))
      .then(
        [
          { type: 'config.pinned', data: { config: NAME, by: 'admin', reason: `manual deploy ${D(2)}` } },
          { type: 'undeploy.requested', data: target(D(2), null, null, { cause: 'undeploy', requestedBy: 'admin', reason: '' }) },
        ],
        D(2),
      );
  });

  it('artifactful refuses (null, sha) naming the pairs it accepts, and records the rejection', () => {
    const message = 'config "billing-api" is artifactful: it accepts (artifactSha, configSha) or (null, null), got (null, c1c1c1c…)';
    given(registered()).when(manual(D(1), null, C1)).thenRefused('unprocessable', message, [rejected(null, C1, message)]);
  });

  it('artifactful refuses (sha, null)', () => {
    const message = 'config "billing-api" is artifactful: it accepts (artifactSha, configSha) or (null, null), got (1111111…, null)';
    given(registered()).when(manual(D(1), S1, null)).thenRefused('unprocessable', message, [rejected(S1, null, message)]);
  });

  it('artifactless accepts (null, sha) with no image tag', () => {
    given(registered(artifactless))
      .when(request(D(1), null, C1))
      .then([requested(target(D(1), null, C1, { artifactRepo: null, artifactImage: null }))], D(1));
  });

  it('artifactless accepts (null, null)', () => {
    const decision = given(registered(artifactless)).when(manual(D(1), null, null)).decision;
    assert.equal(decision.error, null);
    assert.equal(decision.events.at(-1)?.type, 'undeploy.requested');
  });

  it('artifactless refuses (sha, sha)', () => {
    const message = 'config "billing-api" is artifactless: it accepts (null, configSha) or (null, null), got (1111111…, c1c1c1c…)';
    given(registered(artifactless)).when(manual(D(1), S1, C1)).thenRefused('unprocessable', message, [rejected(S1, C1, message)]);
  });

  it('artifactless refuses (sha, null)', () => {
    const message = 'config "billing-api" is artifactless: it accepts (null, configSha) or (null, null), got (1111111…, null)';
    given(registered(artifactless)).when(manual(D(1), S1, null)).thenRefused('unprocessable', message, [rejected(S1, null, message)]);
  });

  it('refuses an artifactSha that is not a known commit of artifact.repo', () => {
    const message = `artifactSha ${S1} is not a known commit of acme/billing`;
    given(registered())
      .when(manual(D(1), S1, C1, { ...ALL_KNOWN, artifactShaKnown: false }))
      .thenRefused('unprocessable', message, [rejected(S1, C1, message)]);
  });

  it('refuses a configSha that is not a known commit of the config repository', () => {
    const message = `configSha ${C1} is not a known commit of acme/config`;
    given(registered(artifactless))
      .when(manual(D(1), null, C1, { ...ALL_KNOWN, configShaKnown: false }))
      .thenRefused('unprocessable', message, [rejected(null, C1, message)]);
  });

  it('refuses a deploy of an unknown config (404) and of a removed one (409)', () => {
    given().when(manual(D(1), S1, C1)).thenRefused('not_found', 'config "billing-api" is not known');
    given(registered(), { type: 'config.removed', data: { config: NAME, configSha: C2 } })
      .when(manual(D(1), S1, C1))
      .thenRefused('conflict', /config "billing-api" was removed/);
  });
});

describe('decide: image tag', () => {
  it('uses the branch the application found for the artifact commit', () => {
    const decision = given(registered()).when(request(D(1), S1, C1, { facts: { ...ALL_KNOWN, artifactBranch: 'feature/login' } })).decision;
    assert.equal((decision.events[0]?.data as DeployTarget).imageTag, 'feature-login-1111111');
  });

  it('falls back to the tracked branch', () => {
    const decision = given(registered({ ...artifactful, track: { branch: 'release/2' } })).when(request(D(1), S1, C1)).decision;
    assert.equal((decision.events[0]?.data as DeployTarget).imageTag, 'release-2-1111111');
  });
});

describe('decide: autodeploy and pins (rules 1, 2, 4)', () => {
  it('a manual deploy pins the config', () => {
    given(registered()).when(manual(D(1), S1, C1)).then([pinned, requested(target(D(1), S1, C1, { cause: 'manual', requestedBy: 'team:payments', reason: 'rollback' }))], D(1));
  });

  it('a manual deploy of a pinned config does not pin it twice', () => {
    given(registered(), pinned)
      .when(manual(D(1), S1, C1))
      .then([requested(target(D(1), S1, C1, { cause: 'manual', requestedBy: 'team:payments', reason: 'rollback' }))], D(1));
  });

  it('autodeploy leaves a pinned config alone and says so (deploy.skipped, pinned)', () => {
    given(registered(), pinned)
      .when(request(D(2), S2, C1))
      .then([skippedEvent(S2, C1, 'pinned', `pinned by team:payments: manual deploy ${D(1)}: rollback; unpin to let autodeploy move it`)], null);
  });

  it('records why a stale build, or a build of another branch, is not deployed', () => {
    const stale = { code: 'stale-build', message: 'main of acme/billing is at 3333333… now' } as const;
    given(registered()).when(request(D(2), S2, null, { obstacle: stale })).then([skippedEvent(S2, null, 'stale-build', stale.message)], null);
    const other = { code: 'other-branch', message: 'billing-api tracks main, not feature/x' } as const;
    given(registered(), pinned).when(request(D(2), S2, null, { obstacle: other })).then([skippedEvent(S2, null, 'other-branch', other.message)], null);
  });

  it('records nothing for a build of another branch when the config does not autodeploy (it concerns nothing the config tracks)', () => {
    const { decision } = given(registered({ ...artifactful, autodeploy: false })).when(
      request(D(2), S2, null, { obstacle: { code: 'other-branch', message: 'billing-api tracks main, not feature/x' } }),
    );
    assert.deepEqual(decision.events, []);
    assert.equal(decision.error, null);
  });

  it('an obstacle is recorded before the pair is checked (no green build: no artifact to pair)', () => {
    const none = { code: 'no-green-build', message: 'no successful build ci of acme/billing on main is known yet' } as const;
    given(registered()).when(request(D(1), null, C1, { obstacle: none })).then([skippedEvent(null, C1, 'no-green-build', none.message)], null);
  });

  it('a team policy that refuses the namespace is a rejection, even for a pinned config', () => {
    given(registered(), pinned)
      .when(request(D(2), S2, C1, { placement: { allowed: false, reason: 'NamespaceNotAllowed', message: 'payments may not deploy into web' } }))
      .thenRefused('forbidden', /./, [
        {
          type: 'deploy.rejected',
          data: { config: NAME, artifactSha: S2, configSha: C1, cause: 'autodeploy', requestedBy: 'autodeploy', reason: 'build', message: 'NamespaceNotAllowed: payments may not deploy into web' },
        },
      ]);
  });

  it('autodeploy runs again once the config is unpinned', () => {
    given(registered(), pinned, { type: 'config.unpinned', data: { config: NAME, by: 'admin', reason: '' } })
      .when(request(D(2), S2, C1))
      .then([requested(target(D(2), S2, C1))], D(2));
  });

  it('autodeploy deploys nothing for a config with autodeploy: false and says so', () => {
    given(registered({ ...artifactful, autodeploy: false }))
      .when(request(D(1), S1, C1))
      .then([skippedEvent(S1, C1, 'autodeploy-off', 'autodeploy is off: deploy/billing-api/deploy.yaml at c1c1c1c… says autodeploy: false')], null);
  });

  it('a manual deploy of a config with autodeploy: false is not a skip', () => {
    given(registered({ ...artifactful, autodeploy: false }))
      .when(manual(D(1), S1, C1))
      .then([pinned, requested(target(D(1), S1, C1, { cause: 'manual', requestedBy: 'team:payments', reason: 'rollback' }))], D(1));
  });

  it('autodeploy never pins', () => {
    given(registered()).when(request(D(1), S1, C1)).then([requested(target(D(1), S1, C1))]);
  });

  it('a re-apply pins and names the deploy it re-applies', () => {
    given(registered(), requested(target(D(1), S1, C1)), succeeded(D(1)), requested(target(D(2), S2, C1)), succeeded(D(2)))
      .when(request(D(3), S1, C1, { cause: 'reapply', requestedBy: 'admin', reason: '', reappliedFrom: D(1) }))
      .then([
        { type: 'config.pinned', data: { config: NAME, by: 'admin', reason: `re-apply of ${D(1)}` } },
        requested(target(D(3), S1, C1, { cause: 'reapply', requestedBy: 'admin', reason: '', reappliedFrom: D(1) })),
      ], D(3));
  });

  it('records an autodeploy that could not be made (head of the config repository unknown)', () => {
    given(registered())
      .when({ type: 'RejectAutodeploy', pair: { artifactSha: S1, configSha: null }, reason: 'build ci succeeded', message: 'head unknown' })
      .then([
        {
          type: 'deploy.rejected',
          data: { config: NAME, artifactSha: S1, configSha: null, cause: 'autodeploy', requestedBy: 'autodeploy', reason: 'build ci succeeded', message: 'head unknown' },
        },
      ]);
  });
});

describe('decide: one deploy in flight, queue, idempotence (rule 3)', () => {
  const inFlight = [registered(), requested(target(D(1), S1, C1))];

  it('queues a request behind the deploy in flight', () => {
    given(...inFlight).when(request(D(2), S2, C1)).then([queued(target(D(2), S2, C1))], D(2));
  });

  it('a newer request supersedes the queued older one', () => {
    given(...inFlight, queued(target(D(2), S2, C1)))
      .when(request(D(3), S3, C1))
      .then([{ type: 'deploy.superseded', data: { deployId: D(2), config: NAME, supersededBy: D(3) } }, queued(target(D(3), S3, C1))], D(3));
  });

  it('the same pair as the queued request maps to it', () => {
    given(...inFlight, queued(target(D(2), S2, C1))).when(request(D(3), S2, C1)).then([], D(2));
  });

  it('the same pair as the deploy in flight maps to it and drops what was queued behind it', () => {
    given(...inFlight, queued(target(D(2), S2, C1)))
      .when(request(D(3), S1, C1))
      .then([{ type: 'deploy.superseded', data: { deployId: D(2), config: NAME, supersededBy: D(1) } }], D(1));
  });

  it('the same pair as the one applied (nothing in flight) maps to it', () => {
    given(...inFlight, applied(D(1)), succeeded(D(1))).when(request(D(2), S1, C1)).then([], D(1));
  });

  it('the same pair as a failed deploy is deployed again', () => {
    given(...inFlight, applied(D(1)), failed(D(1))).when(request(D(2), S1, C1)).then([requested(target(D(2), S1, C1))], D(2));
  });

  it('a pair that differs only in configSha is a new deploy', () => {
    given(...inFlight, succeeded(D(1))).when(request(D(2), S1, C2)).then([requested(target(D(2), S1, C2))], D(2));
  });
});

describe('decide: outcomes', () => {
  const inFlight = [registered(), requested(target(D(1), S1, C1))];

  it('records an outcome of the deploy in flight', () => {
    given(...inFlight).when({ type: 'RecordOutcome', outcome: applied(D(1)) as never }).then([applied(D(1))], D(1));
  });

  for (const end of [succeeded, failed, (id: string): ConfigEvent => ({ type: 'deploy.undeployed', data: { deployId: id, config: NAME } })]) {
    const ending = end(D(1));
    it(`${ending.type} ends the deploy in flight and requests the queued one`, () => {
      given(...inFlight, queued(target(D(2), S2, C1)))
        .when({ type: 'RecordOutcome', outcome: ending as never })
        .then([ending, requested(target(D(2), S2, C1))]);
    });
  }

  it('a queued undeploy is requested as an undeploy', () => {
    const undeploy = target(D(2), null, null, { cause: 'undeploy' });
    given(...inFlight, queued(undeploy))
      .when({ type: 'RecordOutcome', outcome: succeeded(D(1)) as never })
      .then([succeeded(D(1)), { type: 'undeploy.requested', data: undeploy }]);
  });

  it('does not record the same outcome twice', () => {
    const { decision } = given(...inFlight, succeeded(D(1))).when({ type: 'RecordOutcome', outcome: succeeded(D(1)) as never });
    assert.deepEqual(decision.events, []);
    assert.equal(decision.skipped, 'already recorded');
  });

  it('ignores a late deploy.started or deploy.applied of a deploy already further along (redelivery after an applier crash)', () => {
    const started: ConfigEvent = { type: 'deploy.started', data: { deployId: D(1), config: NAME } } as ConfigEvent;
    for (const [history, late] of [
      [[applied(D(1)), succeeded(D(1))], started],
      [[applied(D(1))], started],
      [[applied(D(1)), succeeded(D(1))], applied(D(1))],
    ] as const) {
      const { decision } = given(...inFlight, ...history).when({ type: 'RecordOutcome', outcome: late as never });
      assert.deepEqual(decision.events, [], `${late.type} after ${history.map((e) => e.type).join(', ')}`);
      assert.match(decision.skipped ?? '', /^late /);
    }
  });

  it('ignores an outcome of a deploy the config never requested', () => {
    const { decision } = given(...inFlight).when({ type: 'RecordOutcome', outcome: succeeded(D(9)) as never });
    assert.deepEqual(decision.events, []);
  });

  it('ignores an outcome of a superseded deploy', () => {
    const { decision } = given(...inFlight, queued(target(D(2), S2, C1)), { type: 'deploy.superseded', data: { deployId: D(2), config: NAME, supersededBy: D(3) } })
      .when({ type: 'RecordOutcome', outcome: succeeded(D(2)) as never });
    assert.deepEqual(decision.events, []);
  });
});

describe('decide: abandoning the deploy in flight', () => {
  const inFlight = [registered(), requested(target(D(1), S1, C1))];
  const abandoned: ConfigEvent = {
    type: 'deploy.failed',
    data: { deployId: D(1), config: NAME, reason: 'Abandoned', message: 'abandoned by admin: applier lost it', terminal: true },
  };

  it('records it failed and requests the queued deploy', () => {
    given(...inFlight, queued(target(D(2), S2, C1)))
      .when({ type: 'AbandonDeploy', deployId: D(1), by: 'admin', reason: 'applier lost it' })
      .then([abandoned, requested(target(D(2), S2, C1))], D(1));
  });

  it('refuses a deploy that is not in flight (409) or unknown (404)', () => {
    given(...inFlight, succeeded(D(1)))
      .when({ type: 'AbandonDeploy', deployId: D(1), by: 'admin', reason: '' })
      .thenRefused('conflict', `deploy ${D(1)} is not in flight (phase succeeded); only the deploy in flight can be abandoned`);
    given(...inFlight).when({ type: 'AbandonDeploy', deployId: D(9), by: 'admin', reason: '' }).thenRefused('not_found', `deploy ${D(9)} is not known`);
  });
});

describe('decide: removal (rule 5)', () => {
  const removed: ConfigEvent = { type: 'config.removed', data: { config: NAME, configSha: C2 } };
  const remove: ConfigCommand = { type: 'RemoveConfig', configRepo: 'acme/config', configSha: C2, deployId: D(9) };
  const undeploy = target(D(9), null, null, { cause: 'undeploy', requestedBy: 'autodeploy', reason: 'config removed from acme/config at c2c2c2c…' });

  it('a config never deployed is only marked removed', () => {
    given(registered()).when(remove).then([removed]);
  });

  it('a deployed config is undeployed, then marked removed', () => {
    given(registered(), requested(target(D(1), S1, C1)), succeeded(D(1)))
      .when(remove)
      .then([{ type: 'undeploy.requested', data: undeploy }, removed], D(9));
  });

  it('a config whose only deploy failed is still undeployed (it may have applied part of its specs)', () => {
    given(registered(), requested(target(D(1), S1, C1)), failed(D(1)))
      .when(remove)
      .then([{ type: 'undeploy.requested', data: undeploy }, removed], D(9));
  });

  it('a config already undeployed is only marked removed', () => {
    const undone = target(D(2), null, null, { cause: 'undeploy' });
    given(registered(), requested(target(D(1), S1, C1)), succeeded(D(1)), { type: 'undeploy.requested', data: undone }, { type: 'deploy.undeployed', data: { deployId: D(2), config: NAME } })
      .when(remove)
      .then([removed], D(2));
  });

  it('undeploys even a pinned config', () => {
    given(registered(), pinned, requested(target(D(1), S1, C1)), succeeded(D(1)))
      .when(remove)
      .then([{ type: 'undeploy.requested', data: undeploy }, removed], D(9));
  });

  it('queues the undeploy behind the deploy in flight, superseding what was queued', () => {
    given(registered(), requested(target(D(1), S1, C1)), queued(target(D(2), S2, C1)))
      .when(remove)
      .then([{ type: 'deploy.superseded', data: { deployId: D(2), config: NAME, supersededBy: D(9) } }, queued(undeploy), removed], D(9));
  });

  it('a removed config keeps its history and accepts a queued undeploy outcome', () => {
    const state = fold([registered(), requested(target(D(1), S1, C1)), queued(undeploy), removed]);
    const decision = decide({ type: 'RecordOutcome', outcome: succeeded(D(1)) as never }, state, NAME);
    assert.deepEqual(decision.events, [succeeded(D(1)), { type: 'undeploy.requested', data: undeploy }]);
    assert.equal(Object.keys(state.deploys).length, 2);
  });

  it('removing twice records nothing; a removal from another repository is ignored', () => {
    given(registered(), removed).when(remove).then([]);
    given(registered()).when({ ...remove, configRepo: 'other/config' } as ConfigCommand).then([]);
  });
});

describe('decide: pin and unpin', () => {
  it('pins, and pinning again records nothing', () => {
    given(registered()).when({ type: 'Pin', by: 'admin', reason: 'freeze' }).then([{ type: 'config.pinned', data: { config: NAME, by: 'admin', reason: 'freeze' } }]);
    given(registered(), pinned).when({ type: 'Pin', by: 'admin', reason: 'freeze' }).then([]);
  });

  it('unpins, and unpinning an unpinned config records nothing', () => {
    given(registered(), pinned).when({ type: 'Unpin', by: 'admin', reason: '' }).then([{ type: 'config.unpinned', data: { config: NAME, by: 'admin', reason: '' } }]);
    given(registered()).when({ type: 'Unpin', by: 'admin', reason: '' }).then([]);
  });

  it('refuses pins of unknown (404) and removed (409) configs', () => {
    given().when({ type: 'Pin', by: 'admin', reason: '' }).thenRefused('not_found', 'config "billing-api" is not known');
    given(registered(), { type: 'config.removed', data: { config: NAME, configSha: C2 } })
      .when({ type: 'Unpin', by: 'admin', reason: '' })
      .thenRefused('conflict', /was removed/);
  });
});

describe('evolve', () => {
  it('tracks phases, the deploy in flight, the queue and the current pair', () => {
    let state = fold([registered(), requested(target(D(1), S1, C1)), queued(target(D(2), S2, C1))]);
    assert.equal(state.inFlight, D(1));
    assert.equal(state.queued, D(2));
    assert.equal(state.deploys[D(1)]?.phase, 'applying');
    assert.equal(state.deploys[D(2)]?.phase, 'queued');
    state = fold([applied(D(1)), succeeded(D(1)), requested(target(D(2), S2, C1))], state);
    assert.deepEqual(state.current, { artifactSha: S1, configSha: C1 });
    assert.equal(state.inFlight, D(2));
    assert.equal(state.queued, null);
    state = fold([{ type: 'deploy.undeployed', data: { deployId: D(2), config: NAME } }], state);
    assert.equal(state.deploys[D(2)]?.phase, 'succeeded');
    assert.equal(state.inFlight, null);
  });

  it('a late report of an older deploy does not change the current pair', () => {
    const state = fold([registered(), requested(target(D(1), S1, C1)), failed(D(1)), requested(target(D(2), S2, C1)), applied(D(1))]);
    assert.deepEqual(state.current, { artifactSha: null, configSha: null });
  });
});

describe('decide: builds (docs/architecture.md §1 "Builds")', () => {
  const building: DeployConfigRoot = {
    ...artifactful,
    artifact: { repo: 'acme/billing', image: 'ghcr.io/acme/billing', build: null },
    track: { branch: 'main', tags: 'v*' },
    build: { image: 'ghcr.io/acme/builder:1', command: ['make', 'image'], timeoutSeconds: 600 },
  };
  const B = (n: number) => `00000000-0000-7000-9000-${String(n).padStart(12, '0')}`;
  const requestBuild = (buildId: string, commitSha: string, target: 'staging' | 'production' = 'staging', ref = 'main'): ConfigCommand => ({
    type: 'RequestBuild',
    buildId,
    target,
    ref,
    commitSha,
    requestedBy: 'autodeploy',
    reason: 'push',
  });
  const report = (event: Extract<ConfigEvent, { type: 'build.scheduled' | 'build.started' | 'build.finished' }>, deployId = D(9)): ConfigCommand => ({
    type: 'RecordBuildReport',
    report: event,
    configHead: C1,
    deployId,
  });
  const finished = (buildId: string, commitSha: string, phase: 'Succeeded' | 'Failed' | 'TimedOut' | 'Canceled', target: 'staging' | 'production' = 'staging') =>
    ({ type: 'build.finished', data: { buildId, config: NAME, target, commitSha, phase, message: phase, finishedAt: null } }) as const;

  function run(events: ConfigEvent[], command: ConfigCommand): { decision: Decision; events: ConfigEvent[] } {
    const decision = decide(command, fold(events), NAME);
    return { decision, events: [...events, ...decision.events] };
  }

  it('a push builds the image <branch>-<sha7> of artifact.image with the config’s builder; the same push again builds nothing', () => {
    const first = run([registered(building)], requestBuild(B(1), S1));
    assert.deepEqual(first.decision.events.map((e) => e.type), ['build.requested']);
    const data = first.decision.events[0]!.data as Record<string, unknown>;
    assert.deepEqual(
      [data['target'], data['ref'], data['imageTag'], data['artifactImage'], (data['builder'] as { image: string }).image],
      ['staging', 'main', 'main-1111111', 'ghcr.io/acme/billing:main-1111111', 'ghcr.io/acme/builder:1'],
    );
    assert.deepEqual(run(first.events, requestBuild(B(2), S1)).decision.events, []);
  });

  it('a succeeded build deploys (S, C) with the build’s tag; a tag builds and deploys <tag>-<sha7>', () => {
    let events = run([registered(building)], requestBuild(B(1), S1, 'production', 'v1.2.0')).events;
    events = run(events, report({ type: 'build.scheduled', data: { buildId: B(1), config: NAME, target: 'production', commitSha: S1, buildRun: 'x', namespace: 'payments' } })).events;
    const done = run(events, report(finished(B(1), S1, 'Succeeded', 'production')));
    assert.deepEqual(done.decision.events.map((e) => e.type), ['build.finished', 'deploy.requested']);
    const deploy = done.decision.events[1]!.data as DeployTarget;
    assert.deepEqual([deploy.artifactSha, deploy.configSha, deploy.imageTag, deploy.cause], [S1, C1, 'v1.2.0-1111111', 'autodeploy']);
    // Redelivered: recorded once, deployed once.
    assert.deepEqual(run(done.events, report(finished(B(1), S1, 'Succeeded', 'production'))).decision.events, []);
  });

  it('a failed or timed-out build deploys nothing; a late report never moves a build back', () => {
    let events = run([registered(building)], requestBuild(B(1), S1)).events;
    events = run(events, report(finished(B(1), S1, 'TimedOut'))).events;
    assert.deepEqual(events.slice(-1).map((e) => e.type), ['build.finished']);
    const late = run(events, report({ type: 'build.started', data: { buildId: B(1), config: NAME, target: 'staging', commitSha: S1, startedAt: null } }));
    assert.deepEqual(late.decision.events, []);
  });

  it('a build superseded by a newer push does not deploy even if it succeeds', () => {
    let events = run([registered(building)], requestBuild(B(1), S1)).events;
    events = run(events, requestBuild(B(2), S2)).events;
    const old = run(events, report(finished(B(1), S1, 'Succeeded')));
    assert.deepEqual(old.decision.events.map((e) => e.type), ['build.finished', 'deploy.skipped']);
    assert.equal((old.decision.events[1]!.data as { code: DeploySkipCode }).code, 'stale-build');
  });

  it('builds nothing for a config without a builder or with autodeploy off, and refuses one outside the team policy', () => {
    assert.deepEqual(run([registered()], requestBuild(B(1), S1)).decision.events, []);
    assert.deepEqual(run([registered({ ...building, autodeploy: false })], requestBuild(B(1), S1)).decision.events, []);
    const denied = run([registered(building)], { ...(requestBuild(B(1), S1) as Extract<ConfigCommand, { type: 'RequestBuild' }>), placement: { allowed: false, reason: 'NamespaceNotAllowed', message: 'payments may not use kube-system' } });
    assert.deepEqual(denied.decision.events.map((e) => e.type), ['deploy.rejected']);
    assert.match((denied.decision.events[0]!.data as { message: string }).message, /^build refused: NamespaceNotAllowed/);
  });
});

describe('decide: drift of a GitOps target', () => {
  const drift = (sha: string): Extract<ConfigEvent, { type: 'gitops.drift.detected' }> => ({
    type: 'gitops.drift.detected',
    data: { config: NAME, repo: 'acme/gitops', branch: 'main', sha, path: 'apps/billing/values.yaml', key: 'image.tag', found: 'hotfix-1', expected: 'main-1111111', pusher: 'Ada' },
  });

  it('records a drift once per commit, and only for an active config', () => {
    given(registered()).when({ type: 'RecordDrift', report: drift(S1) }).then([drift(S1)]);
    given(registered(), drift(S1)).when({ type: 'RecordDrift', report: drift(S1) }).then([]);
    given(registered(), drift(S1)).when({ type: 'RecordDrift', report: drift(S2) }).then([drift(S2)]);
    given().when({ type: 'RecordDrift', report: drift(S1) }).then([]);
  });

  it('a deploy that succeeds clears it (it wrote its own tag again)', () => {
    const t = target(D(1), S1, C1);
    assert.deepEqual(fold([registered(), drift(S2)]).drift, { sha: S2, found: 'hotfix-1', expected: 'main-1111111' });
    assert.equal(fold([registered(), drift(S2), requested(t), succeeded(D(1))]).drift, null);
  });
});
