import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BearerAuthGuard, CATALOGUE_VISIBILITY, catalogueTeamOf, CurrentPrincipal, type CatalogueVisibility, type Principal } from '@sluice/auth';
import { sha } from '@sluice/contracts';
import { errorResponse, NotFoundError, ZodValidationPipe, type OpenApiInfo } from '@sluice/platform';
import { z } from 'zod';
import { COMMIT_STATUS_STORE, type CommitStatusStore } from '../../application/ports';
import { PgTeamRepos } from '../postgres/team-repos';

const querySchema = z
  .object({
    /** `owner/name`; GitLab subgroup paths too (one rule: a union would answer zod's bare "Invalid input"). */
    repo: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/, 'an owner/name repository path, e.g. acme/billing (GitLab: group/subgroup/name)'),
    sha: sha.optional(),
  })
  .strict();

/** Commit-status's OpenAPI document (served at `/api/docs-json` with `setupOpenApi` from `@sluice/platform`). */
export const COMMIT_STATUS_OPENAPI: OpenApiInfo = {
  title: 'Sluice commit-status',
  description: 'CommitStatus resources: the statuses Sluice reports on commits, and what the SCM holds',
};

/**
 * `GET /api/commit-statuses?repo=&sha=`: the CommitStatuses on a repository (optionally one
 * commit), spec and status. The admin reads every repository; a team token the repositories of
 * its own configs (config repository or `artifact.repo`, as `sluice.repo.v1` announced them),
 * any other answering 404 like the catalogue — unless SLUICE_CATALOGUE_VISIBILITY=installation.
 */
@ApiTags('commit-statuses')
@ApiBearerAuth()
@Controller('api/commit-statuses')
@UseGuards(BearerAuthGuard)
export class CommitStatusesController {
  constructor(
    @Inject(COMMIT_STATUS_STORE) private readonly store: CommitStatusStore,
    private readonly teamRepos: PgTeamRepos,
    @Inject(CATALOGUE_VISIBILITY) private readonly visibility: CatalogueVisibility,
  ) {}

  @Get()
  @ApiOperation({ summary: 'CommitStatuses on a repository (optionally one commit): spec, and status as the SCM holds it (admin or team token)' })
  @ApiQuery({ name: 'repo', required: true, description: 'owner/name (GitLab: group path/name)' })
  @ApiQuery({ name: 'sha', required: false, description: '40-character commit SHA' })
  @ApiResponse({ status: 200, description: '{ items: [{ namespace, name, generation, ownedBySluice, spec, status }] }' })
  @ApiResponse({ status: 400, description: 'bad repo or sha (the message names the field)', schema: errorResponse })
  @ApiResponse({ status: 401, description: 'missing or invalid bearer token', schema: errorResponse })
  @ApiResponse({ status: 404, description: "a team token and a repository none of the team's configs uses", schema: errorResponse })
  async list(@CurrentPrincipal() principal: Principal, @Query(new ZodValidationPipe(querySchema)) query: z.infer<typeof querySchema>) {
    const team = catalogueTeamOf(principal, this.visibility);
    if (team !== null && !(await this.teamRepos.visible(team, query.repo))) {
      throw new NotFoundError(`repository ${query.repo} is not in the catalogue`);
    }
    const records = await this.store.query(query);
    return {
      items: records.map((r) => ({
        namespace: r.key.namespace,
        name: r.key.name,
        generation: r.generation,
        ownedBySluice: r.ownedBySluice,
        spec: r.spec,
        status: r.status,
      })),
    };
  }
}
