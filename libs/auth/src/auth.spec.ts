import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ExecutionContext } from '@nestjs/common';
import { ConfigError, ForbiddenError, TooManyRequestsError, UnauthorizedError } from '@sluice/platform';
import { resolveAdminToken } from './admin-token';
import { AdminOnlyGuard, BearerAuthGuard, requireAdmin, requireTeam } from './bearer-auth.guard';
import { FailedAuthLimiter } from './failed-auth-limiter';
import type { Principal } from './principal';
import { subjectOf } from './principal';
import { tokenIssuedEvent, tokenRevokedEvent, tokenStream } from './token-events';
import { hashToken, matchesHash, newTeamToken, tokenId, tokensEqual } from './token-hash';

const context = (headers: Record<string, string>) => {
  const request: { headers: Record<string, string>; principal?: Principal } = { headers };
  return { request, ctx: { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext };
};

const guard = new BearerAuthGuard({ authenticate: async (t) => (t === 'good' ? { kind: 'team', team: 'payments' } : null) });

describe('BearerAuthGuard', () => {
  it('attaches the principal of a valid token', async () => {
    const { request, ctx } = context({ authorization: 'Bearer good' });
    assert.equal(await guard.canActivate(ctx), true);
    assert.deepEqual(request.principal, { kind: 'team', team: 'payments' });
  });

  it('401 without a header, with another scheme, with an unknown token', async () => {
    await assert.rejects(guard.canActivate(context({}).ctx), (e) => e instanceof UnauthorizedError && /missing bearer token/.test(e.message));
    await assert.rejects(guard.canActivate(context({ authorization: 'Basic good' }).ctx), /malformed Authorization header/);
    await assert.rejects(guard.canActivate(context({ authorization: 'Bearer bad' }).ctx), /invalid or revoked token/);
  });

  it('429 with retryAfterSeconds once an address failed too often, without asking the authenticator; a missing header does not count', async () => {
    let asked = 0;
    const limited = new BearerAuthGuard(
      { authenticate: async (t) => (asked++, t === 'good' ? { kind: 'admin' } : null) },
      new FailedAuthLimiter({ maxFailures: 2, windowMs: 60_000, blockMs: 30_000, maxClients: 10 }),
    );
    const from = (ip: string, headers: Record<string, string>) => {
      const c = context(headers);
      (c.request as { ip?: string }).ip = ip;
      return c.ctx;
    };
    for (let i = 0; i < 3; i++) await assert.rejects(limited.canActivate(from('10.0.0.9', {})), UnauthorizedError);
    await assert.rejects(limited.canActivate(from('10.0.0.9', { authorization: 'Basic x' })), UnauthorizedError);
    await assert.rejects(limited.canActivate(from('10.0.0.9', { authorization: 'Bearer bad' })), UnauthorizedError);
    const before = asked;
    await assert.rejects(
      limited.canActivate(from('10.0.0.9', { authorization: 'Bearer good' })),
      (e: unknown) => e instanceof TooManyRequestsError && e.status === 429 && e.retryAfterSeconds === 30,
    );
    assert.equal(asked, before, 'the token of a blocked address is not checked');
    assert.equal(await limited.canActivate(from('10.0.0.10', { authorization: 'Bearer good' })), true);
  });
});

describe('team and admin checks', () => {
  const team: Principal = { kind: 'team', team: 'web' };
  it('admin may do everything; a team only its own', () => {
    requireAdmin({ kind: 'admin' });
    requireTeam({ kind: 'admin' }, 'payments');
    requireTeam(team, 'web');
    assert.throws(() => requireTeam(team, 'payments'), (e) => e instanceof ForbiddenError && e.message === 'team:web may not act on configs of team "payments"');
    assert.throws(() => requireAdmin(team), ForbiddenError);
    assert.equal(subjectOf(team), 'team:web');
  });

  it('a record without a team is the admin\'s only', () => {
    requireTeam({ kind: 'admin' }, null);
    assert.throws(() => requireTeam(team, null), (e) => e instanceof ForbiddenError && /team is not recorded/.test(e.message));
  });

  it('AdminOnlyGuard: 403 for a team principal, passes the admin, 401 when no principal was attached', () => {
    const admin = context({});
    admin.request.principal = { kind: 'admin' };
    assert.equal(new AdminOnlyGuard().canActivate(admin.ctx), true);
    const web = context({});
    web.request.principal = team;
    assert.throws(() => new AdminOnlyGuard().canActivate(web.ctx), ForbiddenError);
    assert.throws(() => new AdminOnlyGuard().canActivate(context({}).ctx), UnauthorizedError);
  });
});

describe('tokens', () => {
  it('issues sl_<id>_<secret> tokens whose id finds the row and whose hash proves possession', () => {
    const { id, token } = newTeamToken();
    assert.match(token, /^sl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(tokenId(token), id);
    assert.equal(matchesHash(token, hashToken(token)), true);
    assert.equal(matchesHash(`${token}x`, hashToken(token)), false);
    assert.equal(tokenId('admin-token'), null);
  });

  it('compares tokens of different lengths without throwing', () => {
    assert.equal(tokensEqual('a', 'a-much-longer-token'), false);
    assert.equal(tokensEqual('same', 'same'), true);
  });
});

describe('token events', () => {
  it('carry the SHA-256 of the token, never the token', () => {
    const { id, token } = newTeamToken();
    const issued = tokenIssuedEvent({ id, team: 'payments', token, createdBy: 'admin' });
    assert.deepEqual(issued, { type: 'auth.token.issued', version: 1, data: { id, team: 'payments', tokenHash: hashToken(token).toString('hex'), createdBy: 'admin' } });
    assert.equal(JSON.stringify(issued).includes(token.slice(20)), false);
    assert.deepEqual(tokenRevokedEvent(id, 'admin').data, { id, revokedBy: 'admin' });
    assert.equal(tokenStream(id), `auth-token-${id}`);
  });
});

describe('resolveAdminToken', () => {
  it('prefers SLUICE_ADMIN_TOKEN; otherwise generates one (0600) into the data directory once', () => {
    assert.deepEqual(resolveAdminToken({ SLUICE_ADMIN_TOKEN: 'x', SLUICE_DATA_DIR: '/nonexistent' }), { token: 'x', source: 'env' });
    const dir = mkdtempSync(join(tmpdir(), 'sluice-admin-'));
    try {
      const first = resolveAdminToken({ SLUICE_DATA_DIR: join(dir, 'data') });
      assert.equal(first.source, 'generated');
      assert.equal(statSync(join(dir, 'data', 'admin-token')).mode & 0o777, 0o600);
      const second = resolveAdminToken({ SLUICE_DATA_DIR: join(dir, 'data') });
      assert.deepEqual([second.source, second.token], ['file', first.token]);
      assert.equal(readFileSync(join(dir, 'data', 'admin-token'), 'utf8').trim(), first.token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a weak token written into the data directory by hand, naming the file, not the token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-admin-'));
    try {
      mkdirSync(join(dir, 'data'));
      writeFileSync(join(dir, 'data', 'admin-token'), 'hunter2\n');
      assert.throws(
        () => resolveAdminToken({ SLUICE_DATA_DIR: join(dir, 'data') }),
        (e: unknown) => e instanceof ConfigError && /SLUICE_ADMIN_TOKEN \(from .*admin-token\): too short/.test(e.message) && !e.message.includes('hunter2'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
