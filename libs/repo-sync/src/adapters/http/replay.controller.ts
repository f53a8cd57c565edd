import { Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnlyGuard, BearerAuthGuard, CurrentPrincipal, subjectOf, type Principal } from '@sluice/auth';
import type { ReplayStatus } from '@sluice/event-store';
import { errorResponse, ZodValidationPipe } from '@sluice/platform';
import { z } from 'zod';
import { CatalogueReplay } from '../persistence/catalogue-replay';

const replayIdSchema = z.uuid('a replay id (UUID)');

/**
 * Rebuilding repo-sync's catalogue from its log (docs/architecture.md §4 "Rebuilding views"), under
 * `/api/admin/replay/repo-sync` so that, in the all-in-one, it stands beside autodeploy's and
 * kube-applier's replays.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: errorResponse })
@ApiResponse({ status: 403, description: 'not the admin token', schema: errorResponse })
@Controller('api/admin/replay/repo-sync')
@UseGuards(BearerAuthGuard, AdminOnlyGuard)
export class CatalogueReplayController {
  constructor(private readonly replay: CatalogueReplay) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      "Rebuild the catalogue (repositories, branches, commits, builds, configs, config errors and scans, former names) from repo-sync's log into a copy, swapped in atomically once caught up (admin); the live tables serve meanwhile. Poll GET /api/admin/replay/repo-sync/{id}",
  })
  @ApiResponse({ status: 202, description: '{replayId, requestedBy, requestedAt, status: running|done|failed, processed, total, error}; while one runs, that one' })
  @ApiResponse({ status: 409, description: 'catalogue_log_incomplete: the catalogue was written in part before its log held all of it', schema: errorResponse })
  start(@CurrentPrincipal() principal: Principal): Promise<ReplayStatus> {
    return this.replay.start(subjectOf(principal));
  }

  @Get(':id')
  @ApiOperation({ summary: "Progress of a rebuild of repo-sync's catalogue (admin)" })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: '{replayId, requestedBy, requestedAt, status: running|done|failed, processed, total, error}' })
  @ApiResponse({ status: 400, description: 'not a replay id (UUID)', schema: errorResponse })
  @ApiResponse({ status: 404, description: 'no such replay', schema: errorResponse })
  status(@Param('id', new ZodValidationPipe(replayIdSchema)) id: string): Promise<ReplayStatus> {
    return this.replay.statusOrNotFound(id);
  }
}
