import type { Type } from '@nestjs/common';
import { ViewReplay } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { projectTokenLog, TEAM_TOKENS_VIEWS, teamTokensWritersLock } from './team-token-projection';
import { serviceViewReplayController } from './view-replay-controller';

const log = createLogger('auth.team-tokens.replay');

/**
 * A service's `team_tokens` rebuilt blue/green from the token events it received and kept in its
 * own log (`receiveTokenEvent`), swapped in while its writers — the token consumer's transactions
 * — wait (docs/architecture.md §4 "Rebuilding views"). Refused (409) when rows were projected
 * before the service kept the events (`team_tokens_log`).
 */
export class TeamTokensReplay extends ViewReplay {
  constructor(dataSource: DataSource, schema: string, options: { batchSize?: number } = {}) {
    super(dataSource, { wake: () => undefined }, {
      schema,
      checkpoint: TEAM_TOKENS_VIEWS,
      tables: ['team_tokens'],
      project: projectTokenLog,
      writersLock: teamTokensWritersLock(schema),
      batchSize: options.batchSize,
      logger: log,
      completeness: {
        table: 'team_tokens_log',
        code: 'team_tokens_log_incomplete',
        lacking: 'team tokens were projected from events this service did not yet keep in its log',
      },
    });
  }
}

/** `POST/GET /api/admin/replay/<service>/team-tokens` of one service. */
export function teamTokensReplayController(service: string): Type<unknown> {
  return serviceViewReplayController(service, {
    path: 'team-tokens',
    table: 'team_tokens',
    from: 'the token events it received and kept in its log',
    replay: TeamTokensReplay,
    conflict: 'team_tokens_log_incomplete: rows were projected before the service kept the events',
  });
}
