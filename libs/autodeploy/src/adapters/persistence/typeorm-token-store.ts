import { hashToken, matchesHash, newTeamToken, tokenId, tokenIssuedEvent, tokenRevokedEvent, tokensEqual, tokenStream, type Principal, type TokenAuthenticator } from '@sluice/auth';
import type { EventStore } from '@sluice/event-store';
import type { DataSource } from 'typeorm';

/**
 * Team tokens issued by `POST /api/admin/tokens` (stored as SHA-256, shown once) and the
 * admin token from configuration, both compared in constant time. Issuing and revoking
 * also append `auth.token.issued`/`auth.token.revoked` (the hash, never the token) in the
 * same transaction, so the relay tells the other services (`sluice.auth.v1`).
 */
export class TypeOrmTokenStore implements TokenAuthenticator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly adminToken: string,
  ) {}

  async issue(team: string, createdBy: string): Promise<{ id: string; token: string }> {
    const { id, token } = newTeamToken();
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO autodeploy.api_tokens (id, team, token_hash, created_by) VALUES ($1, $2, $3, $4)`, [id, team, hashToken(token), createdBy]);
      await this.store.append(tokenStream(id), 0, [tokenIssuedEvent({ id, team, token, createdBy })], { manager });
    });
    return { id, token };
  }

  async list(): Promise<Array<{ id: string; team: string; createdBy: string; createdAt: string }>> {
    const rows: Array<{ id: string; team: string; created_by: string; created_at: Date }> = await this.dataSource.query(
      `SELECT id, team, created_by, created_at FROM autodeploy.api_tokens ORDER BY created_at, id`,
    );
    return rows.map((r) => ({ id: r.id, team: r.team, createdBy: r.created_by, createdAt: new Date(r.created_at).toISOString() }));
  }

  /**
   * Revokes a team token: at once here (the next request with it gets 401), in the other
   * services once `auth.token.revoked` reached them. False if there is none with this id.
   */
  async revoke(id: string, revokedBy: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      // A SELECT over the CTE: TypeORM returns [rows, count] for a bare DELETE.
      const [row]: Array<{ n: number }> = await manager.query(
        `WITH revoked AS (DELETE FROM autodeploy.api_tokens WHERE id = $1 RETURNING id) SELECT count(*)::int AS n FROM revoked`,
        [id],
      );
      if ((row?.n ?? 0) === 0) return false;
      await this.store.append(tokenStream(id), 'any', [tokenRevokedEvent(id, revokedBy)], { manager });
      return true;
    });
  }

  async authenticate(token: string): Promise<Principal | null> {
    if (tokensEqual(token, this.adminToken)) return { kind: 'admin' };
    const id = tokenId(token);
    if (id === null) return null;
    const [row]: Array<{ team: string; token_hash: Buffer }> = await this.dataSource.query(
      `SELECT team, token_hash FROM autodeploy.api_tokens WHERE id = $1`,
      [id],
    );
    if (!row || !matchesHash(token, row.token_hash)) return null;
    return { kind: 'team', team: row.team };
  }
}
