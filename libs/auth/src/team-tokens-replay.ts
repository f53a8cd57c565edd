import { Controller, Get, HttpCode, Inject, Param, Post, UseGuards, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ViewReplay, type ReplayStatus } from '@sluice/event-store';
import { createLogger, errorResponse, ZodValidationPipe } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { AdminOnlyGuard, BearerAuthGuard, CurrentPrincipal } from './bearer-auth.guard';
import { subjectOf, type Principal } from './principal';
import { projectTokenLog, TEAM_TOKENS_VIEWS, teamTokensWritersLock } from './team-token-projection';

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

const replayIdSchema = z.uuid('a replay id (UUID)');
const pascal = (service: string) => service.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

/** `POST/GET /api/admin/replay/<service>/team-tokens` of one service (each its own path, so they stand side by side in the all-in-one). */
export function teamTokensReplayController(service: string): Type<unknown> {
  const operation = `replay${pascal(service)}TeamTokens`;
  @ApiTags('admin')
  @ApiBearerAuth()
  @ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: errorResponse })
  @ApiResponse({ status: 403, description: 'not the admin token', schema: errorResponse })
  @Controller(`api/admin/replay/${service}/team-tokens`)
  @UseGuards(BearerAuthGuard, AdminOnlyGuard)
  class TeamTokensReplayController {
    constructor(@Inject(TeamTokensReplay) private readonly replay: TeamTokensReplay) {}

    @Post()
    @HttpCode(202)
    @ApiOperation({
      operationId: operation,
      summary: `Rebuild ${service}'s team_tokens from the token events it received and kept in its log, into a copy swapped in atomically (admin). Poll GET /api/admin/replay/${service}/team-tokens/{id}`,
    })
    @ApiResponse({ status: 202, description: '{replayId, requestedBy, requestedAt, status: running|done|failed, processed, total, error}; while one runs, that one' })
    @ApiResponse({ status: 409, description: 'team_tokens_log_incomplete: rows were projected before the service kept the events', schema: errorResponse })
    start(@CurrentPrincipal() principal: Principal): Promise<ReplayStatus> {
      return this.replay.start(subjectOf(principal));
    }

    @Get(':id')
    @ApiOperation({ operationId: `${operation}Status`, summary: `Progress of a rebuild of ${service}'s team_tokens (admin)` })
    @ApiParam({ name: 'id' })
    @ApiResponse({ status: 200, description: '{replayId, requestedBy, requestedAt, status: running|done|failed, processed, total, error}' })
    @ApiResponse({ status: 400, description: 'not a replay id (UUID)', schema: errorResponse })
    @ApiResponse({ status: 404, description: 'no such replay', schema: errorResponse })
    status(@Param('id', new ZodValidationPipe(replayIdSchema)) id: string): Promise<ReplayStatus> {
      return this.replay.statusOrNotFound(id);
    }
  }
  Object.defineProperty(TeamTokensReplayController, 'name', { value: `${pascal(service)}TeamTokensReplayController` });
  return TeamTokensReplayController;
}
