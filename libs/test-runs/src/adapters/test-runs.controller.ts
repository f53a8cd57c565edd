import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BearerAuthGuard, CurrentPrincipal, teamOf, type Principal } from '@sluice/auth';
import { testsSpec } from '@sluice/contracts';
import { errorResponse, openApiSchema } from '@sluice/platform';
import { z } from 'zod';
import type { TestRunStore, TestRunView } from '../application/ports';

export const TEST_RUN_STORE = Symbol('TEST_RUN_STORE');
export const TEST_POOL_SIZE = Symbol('TEST_POOL_SIZE');

const testRunSchema = z.object({
  id: z.string(),
  deployId: z.string(),
  config: z.string(),
  team: z.string(),
  namespace: z.string(),
  deployedImage: z.string().nullable(),
  tests: testsSpec,
  state: z.enum(['queued', 'running']),
  position: z.number().int().nullable().describe('place in the queue, 1 = next; null once running'),
  queuedAt: z.string(),
  startedAt: z.string().nullable(),
});
const testRunsSchema = z.object({ slots: z.number().int(), running: z.array(testRunSchema), queued: z.array(testRunSchema) });

/** `GET /api/test-runs`: the test-server pool — the runs holding a slot and those queued, in order (docs/architecture.md §7). */
@ApiTags('test-runs')
@ApiBearerAuth()
@Controller('api/test-runs')
@UseGuards(BearerAuthGuard)
export class TestRunsController {
  constructor(
    @Inject(TEST_RUN_STORE) private readonly store: TestRunStore,
    @Inject(TEST_POOL_SIZE) private readonly slots: number,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The test-server pool: running test runs and the queue with positions (a team sees its own)' })
  @ApiResponse({ status: 200, schema: openApiSchema(testRunsSchema) })
  @ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: errorResponse })
  async list(@CurrentPrincipal() principal: Principal): Promise<z.infer<typeof testRunsSchema>> {
    const open = await this.store.open(teamOf(principal));
    const view = (r: TestRunView) => ({
      id: r.id,
      deployId: r.deployId,
      config: r.config,
      team: r.team,
      namespace: r.namespace,
      deployedImage: r.deployedImage,
      tests: r.tests,
      state: r.state as 'queued' | 'running',
      position: r.position,
      queuedAt: r.queuedAt,
      startedAt: r.startedAt,
    });
    return { slots: this.slots, running: open.filter((r) => r.state === 'running').map(view), queued: open.filter((r) => r.state === 'queued').map(view) };
  }
}
