import { Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BearerAuthGuard, CurrentPrincipal, requireAdmin, subjectOf, type Principal } from '@sluice/auth';
import { ZodValidationPipe } from '@sluice/platform';
import { z } from 'zod';
import type { KubeApplierReplayStatus } from './replay';
import { KubeApplierRuntime } from './runtime';

const replayIdSchema = z.uuid('a replay id (UUID)');

/**
 * Rebuilding kube-applier's views from its log (docs/architecture.md §4 "Rebuilding views"), under
 * `/api/admin/replay/kube-applier` so that, in the all-in-one, it stands beside autodeploy's
 * `/api/admin/replay` (autodeploy's views) without clashing.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'no or invalid bearer token' })
@ApiResponse({ status: 403, description: 'not the admin token' })
@Controller('api/admin/replay/kube-applier')
@UseGuards(BearerAuthGuard)
export class KubeApplierAdminController {
  constructor(private readonly runtime: KubeApplierRuntime) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      "Rebuild kube-applier's outcomes from its log (the applier-* streams) into a copy, swapped in atomically once caught up (admin); the live table serves meanwhile. Poll GET /api/admin/replay/kube-applier/{id} for progress",
  })
  @ApiResponse({ status: 202, description: '{replayId, requestedBy, requestedAt, status: running|done|failed, processed, total, error}; while one runs, that one' })
  async replay(@CurrentPrincipal() principal: Principal): Promise<KubeApplierReplayStatus> {
    requireAdmin(principal);
    return this.runtime.replay.start(subjectOf(principal));
  }

  @Get(':id')
  @ApiOperation({ summary: "Progress of a rebuild of kube-applier's views (admin)" })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: '{replayId, requestedBy, requestedAt, status: running|done|failed, processed, total, error}' })
  @ApiResponse({ status: 400, description: 'not a replay id (UUID)' })
  @ApiResponse({ status: 404, description: 'no such replay' })
  async replayStatus(@CurrentPrincipal() principal: Principal, @Param('id', new ZodValidationPipe(replayIdSchema)) id: string): Promise<KubeApplierReplayStatus> {
    requireAdmin(principal);
    return this.runtime.replay.statusOrNotFound(id);
  }
}
