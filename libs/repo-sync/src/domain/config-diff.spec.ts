import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeployConfigRoot } from '@sluice/contracts';
import { decideConfigs, type KnownConfigs } from './config-diff';
import type { ParsedConfig } from './deploy-config';

const config = (name: string, extra: Partial<DeployConfigRoot> = {}): DeployConfigRoot => ({
  name,
  team: 't',
  namespace: 'n',
  artifact: null,
  track: { branch: 'main' },
  autodeploy: false,
  configRepo: 'acme/config',
  path: `deploy/${name}`,
  ...extra,
});
const ok = (c: DeployConfigRoot): ParsedConfig => ({ ok: true, config: c });
const bad = (path: string, message = 'required'): ParsedConfig => ({ ok: false, path, errors: [{ path: 'team', message }] });
const known = (configs: DeployConfigRoot[], errors: Array<[string, string]> = [], elsewhere: Array<[string, string]> = []): KnownConfigs => ({
  configs: new Map(configs.map((c) => [c.name, c])),
  errors: new Map(errors.map(([p, m]) => [p, [{ path: 'team', message: m }]])),
  namesElsewhere: new Map(elsewhere),
});

describe('decideConfigs', () => {
  it('given nothing known, when configs are found, then each is discovered', () => {
    const d = decideConfigs(known([]), [ok(config('a')), ok(config('b'))]);
    assert.deepEqual(d.discovered.map((c) => c.name), ['a', 'b']);
    assert.deepEqual([d.changed, d.removed, d.invalid], [[], [], []]);
  });

  it('given known configs, when one changes and one is unchanged, then only the change is reported', () => {
    const d = decideConfigs(known([config('a'), config('b')]), [ok(config('a', { autodeploy: true })), ok(config('b'))]);
    assert.deepEqual(d.changed.map((c) => c.name), ['a']);
    assert.deepEqual([d.discovered, d.removed], [[], []]);
  });

  it('given a known config, when its folder is gone, then it is removed', () => {
    const d = decideConfigs(known([config('a'), config('b')]), [ok(config('a'))]);
    assert.deepEqual(d.removed.map((c) => c.name), ['b']);
  });

  it('given a known config, when it becomes invalid, then it is reported invalid and kept (not removed)', () => {
    const d = decideConfigs(known([config('a')]), [bad('deploy/a')]);
    assert.deepEqual(d.removed, []);
    assert.deepEqual(d.invalid.map((i) => i.path), ['deploy/a']);
  });

  it('given recorded errors, when the same errors are found again, then no new invalid event', () => {
    const d = decideConfigs(known([], [['deploy/a', 'required']]), [bad('deploy/a', 'required')]);
    assert.deepEqual(d.invalid, []);
    assert.equal(d.allErrors.size, 1);
    const fixed = decideConfigs(known([], [['deploy/a', 'required']]), [ok(config('a'))]);
    assert.equal(fixed.allErrors.size, 0, 'a fixed config clears its errors');
    assert.deepEqual(fixed.discovered.map((c) => c.name), ['a']);
  });

  it('refuses a name declared twice in the repository or by another repository', () => {
    const twice = decideConfigs(known([]), [ok(config('a')), ok(config('a', { path: 'deploy/z-copy' }))]);
    assert.deepEqual(twice.discovered.map((c) => c.path), ['deploy/a']);
    assert.match(twice.invalid[0].errors[0].message, /already declared by deploy\/a/);
    const taken = decideConfigs(known([], [], [['a', 'other/repo']]), [ok(config('a'))]);
    assert.deepEqual(taken.discovered, []);
    assert.match(taken.invalid[0].errors[0].message, /other\/repo/);
  });
});
