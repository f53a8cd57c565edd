/** Test-only helpers (`@sluice/team-policy/testing`): never import from product code. */
import { Topics, type EventEnvelope } from '@sluice/contracts';
import { tokenEnvelope } from '@sluice/auth/testing';
import type { MessagePublisher } from '@sluice/messaging';
import type { DataSource } from 'typeorm';
import { teamPolicySetEvent, teamPolicyStream } from '../domain/events';
import type { TeamPolicySpec } from '../domain/policy';

const versions = new Map<string, number>();

/**
 * Announces a team's policy on `sluice.auth.v1` as autodeploy's relay would, for a service
 * tested without autodeploy; with `projectedIn`, waits until that service's projection holds it.
 */
export async function announceTeamPolicy(
  bus: MessagePublisher,
  team: string,
  policy: TeamPolicySpec,
  projectedIn?: { dataSource: DataSource; schema: string },
): Promise<EventEnvelope> {
  const version = (versions.get(team) ?? 0) + 1;
  versions.set(team, version);
  const envelope = tokenEnvelope(teamPolicySetEvent(team, 'api', policy, 'admin'), teamPolicyStream(team, 'api'), version);
  await bus.publish(Topics.auth, [envelope]);
  if (projectedIn) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows: Array<{ version: number }> = await projectedIn.dataSource.query(`SELECT version FROM "${projectedIn.schema}".team_policies WHERE team = $1 AND source = 'api'`, [team]);
      if ((rows[0]?.version ?? 0) >= version) break;
      if (Date.now() > deadline) throw new Error(`the policy of team ${team} (version ${version}) did not reach ${projectedIn.schema}.team_policies within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return envelope;
}
