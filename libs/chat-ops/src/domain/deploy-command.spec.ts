import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDeployCommand } from './deploy-command';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('parseDeployCommand', () => {
  it('reads a branch, a pull request, a commit and --config-sha', () => {
    assert.deepEqual(parseDeployCommand('billing-api main'), { ok: true, command: { kind: 'deploy', config: 'billing-api', target: { kind: 'branch', branch: 'main' }, configSha: null } });
    assert.deepEqual(parseDeployCommand('  billing-api   feature/login-v2 '), { ok: true, command: { kind: 'deploy', config: 'billing-api', target: { kind: 'branch', branch: 'feature/login-v2' }, configSha: null } });
    assert.deepEqual(parseDeployCommand('billing-api #42'), { ok: true, command: { kind: 'deploy', config: 'billing-api', target: { kind: 'pull-request', number: 42 }, configSha: null } });
    assert.deepEqual(parseDeployCommand(`billing-api 1a2b3c4 --config-sha ${SHA}`), { ok: true, command: { kind: 'deploy', config: 'billing-api', target: { kind: 'sha', sha: '1a2b3c4' }, configSha: SHA } });
  });

  it('reads status and history', () => {
    assert.deepEqual(parseDeployCommand('status billing-api'), { ok: true, command: { kind: 'status', config: 'billing-api' } });
    assert.deepEqual(parseDeployCommand('history billing-api'), { ok: true, command: { kind: 'history', config: 'billing-api' } });
  });

  it('answers each wrong input with what is wrong and the usage', () => {
    const error = (text: string) => {
      const parsed = parseDeployCommand(text);
      assert.equal(parsed.ok, false, text);
      return (parsed as { error: string }).error;
    };
    assert.match(error(''), /^say which config to deploy\nusage: \/deploy/);
    assert.match(error('billing-api'), /^say what to deploy to billing-api/);
    assert.match(error('Billing_API main'), /^"Billing_API" is not a config name/);
    assert.match(error('billing-api main develop'), /^one thing to deploy, got 2: main develop/);
    assert.match(error('billing-api #abc'), /^"#abc" is not a pull request number/);
    assert.match(error('billing-api main --config-sha'), /^--config-sha needs a commit SHA/);
    assert.match(error('billing-api main --config-sha 123'), /^--config-sha "123" is not a 40-character commit SHA/);
    assert.match(error('billing-api main --force'), /^unknown option --force/);
    assert.match(error('billing-api feature..x'), /^"feature..x" is not a branch name/);
    assert.match(error('status'), /^\/deploy status takes one config name/);
  });
});
