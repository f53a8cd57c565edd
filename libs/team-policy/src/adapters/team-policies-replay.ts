import type { Type } from '@nestjs/common';
import { serviceViewReplayController } from '@sluice/auth';
import { ViewReplay } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { projectTeamPolicyLog, TEAM_POLICIES_VIEWS, teamPoliciesWritersLock } from './pg-team-policies';

const log = createLogger('team-policy.replay');

/**
 * A service's `team_policies` rebuilt blue/green from the policy events of its own log — those it
 * appended (autodeploy's admin API, kube-applier's TeamPolicy mirror) and those it received and
 * kept (`receiveTeamPolicyEvent`), each at its source stream's version — swapped in while its
 * writers wait (docs/architecture.md §4 "Rebuilding views"). Refused (409) when a row's event is
 * not in the log (`team_policies_log`).
 */
export class TeamPoliciesReplay extends ViewReplay {
  constructor(dataSource: DataSource, schema: string, options: { batchSize?: number } = {}) {
    super(dataSource, { wake: () => undefined }, {
      schema,
      checkpoint: TEAM_POLICIES_VIEWS,
      tables: ['team_policies'],
      project: projectTeamPolicyLog,
      writersLock: teamPoliciesWritersLock(schema),
      batchSize: options.batchSize,
      logger: log,
      completeness: {
        table: 'team_policies_log',
        code: 'team_policies_log_incomplete',
        lacking: 'team policies were projected from events this service did not yet keep in its log',
      },
    });
  }
}

/** `POST/GET /api/admin/replay/<service>/team-policies` of one service. */
export function teamPoliciesReplayController(service: string): Type<unknown> {
  return serviceViewReplayController(service, {
    path: 'team-policies',
    table: 'team_policies',
    from: 'the policy events of its log (its own and those it received)',
    replay: TeamPoliciesReplay,
    conflict: 'team_policies_log_incomplete: rows were projected before the service kept their events',
  });
}
