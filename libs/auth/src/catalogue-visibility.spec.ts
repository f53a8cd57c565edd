import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogueTeamOf, catalogueVisibilitySetting } from './catalogue-visibility';

describe('catalogue visibility', () => {
  it('scopes a team token to its team under team (the default), and nobody under installation or as the admin', () => {
    const team = { kind: 'team', team: 'payments' } as const;
    assert.equal(catalogueVisibilitySetting.parse(undefined), 'team');
    assert.equal(catalogueTeamOf(team, 'team'), 'payments');
    assert.equal(catalogueTeamOf(team, 'installation'), null);
    assert.equal(catalogueTeamOf({ kind: 'admin' }, 'team'), null);
  });

  it('refuses any other setting, naming the values it takes', () => {
    const result = catalogueVisibilitySetting.safeParse('public');
    assert.equal(result.success, false);
    assert.match(result.error!.issues[0]!.message, /team or installation/);
  });
});
