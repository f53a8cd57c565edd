import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BearerAuthGuard, CurrentPrincipal, requireTeam, teamOf, type Principal } from '@sluice/auth';
import { configName, teamName } from '@sluice/contracts';
import { ZodValidationPipe } from '@sluice/platform';
import { z } from 'zod';
import { DORA_RECORDS, type DoraRecords } from '../application/dora-records';
import { doraMetrics, type DoraMetrics } from '../domain/dora';

const DAY_MS = 86_400_000;
/** Longest window a request may ask for. */
const MAX_DAYS = 366;

export const doraQuery = z
  .object({
    config: configName.optional(),
    team: teamName.optional(),
    from: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z' }).optional(),
  })
  .strict()
  .transform((q, ctx) => {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS);
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
    if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS) ctx.addIssue({ code: 'custom', path: ['from'], message: `the window may span at most ${MAX_DAYS} days` });
    return { config: q.config ?? null, team: q.team ?? null, from, to };
  });

/** `GET /api/metrics/dora`: the four DORA measures of the deploys a principal may see (docs/architecture.md §7). */
@ApiTags('metrics')
@ApiBearerAuth()
@ApiResponse({ status: 400, description: 'bad input, naming the field' })
@ApiResponse({ status: 401, description: 'no or invalid bearer token' })
@ApiResponse({ status: 403, description: "another team's deploys" })
@Controller('api/metrics/dora')
@UseGuards(BearerAuthGuard)
export class DoraController {
  constructor(@Inject(DORA_RECORDS) private readonly records: DoraRecords) {}

  @Get()
  @ApiOperation({
    summary: 'Deployment frequency, lead time for changes, change failure rate and time to restore, per config or team, over a window (default the last 30 days); a team token measures its own team',
  })
  @ApiQuery({ name: 'config', required: false })
  @ApiQuery({ name: 'team', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601; default: 30 days before to' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601; default: now' })
  @ApiOkResponse({ description: 'the measures; rates and times are null where the window holds nothing to measure; `daily`: the same window day by day from its start (succeeded, failed, median lead time)' })
  async measure(@CurrentPrincipal() principal: Principal, @Query(new ZodValidationPipe(doraQuery)) q: z.output<typeof doraQuery>): Promise<{ config: string | null; team: string | null } & DoraMetrics> {
    if (q.team !== null) requireTeam(principal, q.team);
    const team = q.team ?? teamOf(principal);
    const records = await this.records.recordsSince({ config: q.config, team }, q.from);
    return { config: q.config, team, ...doraMetrics(records, { from: q.from, to: q.to }) };
  }
}
