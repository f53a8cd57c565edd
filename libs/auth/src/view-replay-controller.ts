import { Controller, Get, HttpCode, Inject, Param, Post, UseGuards, type InjectionToken, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ReplayStatus, ViewReplay } from '@sluice/event-store';
import { errorResponse, ZodValidationPipe } from '@sluice/platform';
import { z } from 'zod';
import { AdminOnlyGuard, BearerAuthGuard, CurrentPrincipal } from './bearer-auth.guard';
import { subjectOf, type Principal } from './principal';

const replayIdSchema = z.uuid('a replay id (UUID)');

export interface ViewReplayRoute {
  /** `api/admin/replay/…`: each rebuild its own path, so they stand side by side in the all-in-one. */
  readonly path: string;
  /** The `ViewReplay` provider. */
  readonly replay: InjectionToken;
  /** The controller's name, which the OpenAPI operation ids begin with unless `operationIds` says otherwise. */
  readonly name: string;
  readonly operationIds?: { readonly start: string; readonly status: string };
  /** What `POST` rebuilds, and what `GET …/{id}` reports on. */
  readonly summary: string;
  readonly statusSummary: string;
  /** Why a rebuild is refused (409). */
  readonly conflict: string;
}

/**
 * `POST <path>` (admin) starts a blue/green rebuild of a service's views and answers its status
 * (202; while one runs, that one); `GET <path>/{id}` its progress, 404 when unknown.
 */
export function viewReplayController(route: ViewReplayRoute): Type<unknown> {
  @ApiTags('admin')
  @ApiBearerAuth()
  @ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: errorResponse })
  @ApiResponse({ status: 403, description: 'not the admin token', schema: errorResponse })
  @Controller(route.path)
  @UseGuards(BearerAuthGuard, AdminOnlyGuard)
  class ViewReplayController {
    constructor(@Inject(route.replay) private readonly replay: ViewReplay) {}

    @Post()
    @HttpCode(202)
    @ApiOperation({ operationId: route.operationIds?.start ?? `${route.name}_start`, summary: route.summary })
    @ApiResponse({ status: 202, description: '{replayId, requestedBy, requestedAt, status: running|done|failed, processed, total, error}; while one runs, that one' })
    @ApiResponse({ status: 409, description: route.conflict, schema: errorResponse })
    start(@CurrentPrincipal() principal: Principal): Promise<ReplayStatus> {
      return this.replay.start(subjectOf(principal));
    }

    @Get(':id')
    @ApiOperation({ operationId: route.operationIds?.status ?? `${route.name}_status`, summary: route.statusSummary })
    @ApiParam({ name: 'id' })
    @ApiResponse({ status: 200, description: '{replayId, requestedBy, requestedAt, status: running|done|failed, processed, total, error}' })
    @ApiResponse({ status: 400, description: 'not a replay id (UUID)', schema: errorResponse })
    @ApiResponse({ status: 404, description: 'no such replay', schema: errorResponse })
    status(@Param('id', new ZodValidationPipe(replayIdSchema)) id: string): Promise<ReplayStatus> {
      return this.replay.statusOrNotFound(id);
    }
  }
  Object.defineProperty(ViewReplayController, 'name', { value: route.name });
  return ViewReplayController;
}

const pascal = (kebab: string) => kebab.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

/**
 * The replay of a view every service keeps (`team-tokens`, `team-policies`) as one service serves
 * it: `POST/GET /api/admin/replay/<service>/<view>`, with names and operation ids of its own.
 */
export function serviceViewReplayController(
  service: string,
  view: { readonly path: string; readonly table: string; readonly from: string; readonly replay: InjectionToken; readonly conflict: string },
): Type<unknown> {
  const operation = `replay${pascal(service)}${pascal(view.path)}`;
  return viewReplayController({
    path: `api/admin/replay/${service}/${view.path}`,
    replay: view.replay,
    name: `${pascal(service)}${pascal(view.path)}ReplayController`,
    operationIds: { start: operation, status: `${operation}Status` },
    summary: `Rebuild ${service}'s ${view.table} from ${view.from}, into a copy swapped in atomically (admin). Poll GET /api/admin/replay/${service}/${view.path}/{id}`,
    statusSummary: `Progress of a rebuild of ${service}'s ${view.table} (admin)`,
    conflict: view.conflict,
  });
}
