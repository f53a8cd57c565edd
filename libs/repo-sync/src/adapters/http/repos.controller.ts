import { Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  AdminOnlyGuard,
  BearerAuthGuard,
  CATALOGUE_VISIBILITY,
  catalogueTeamOf,
  CurrentPrincipal,
  subjectOf,
  type CatalogueVisibility,
  type Principal,
} from '@sluice/auth';
import { REPO_PATH_PATTERN } from '@sluice/contracts';
import { errorResponse, NotFoundError, openApiSchema, parseOrThrow, type OpenApiInfo } from '@sluice/platform';
import { z } from 'zod';
import { POLICY_GATE, type PolicyGate } from '@sluice/team-policy';
import { GlobalSync } from '../../application/global-sync';
import { withPolicyVerdicts } from '../../application/policy-verdicts';
import { CatalogueQueries } from '../persistence/catalogue-queries';
import { branchListSchema, commitSchema, repoConfigsSchema, repoDetailSchema, repoPageSchema, syncProgressSchema, syncStartedSchema } from './response-schemas';

/** Repo-sync's OpenAPI document (served at `/api/docs-json` with `setupOpenApi` from `@sluice/platform`). */
export const REPO_SYNC_OPENAPI: OpenApiInfo = {
  title: 'Sluice repo-sync',
  description: 'The repository catalogue (repos, branches, commits and builds, configs found) and global sync',
};

const segment = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'an owner or repository name');
const repoParams = z.object({ owner: segment, name: segment });
const shaParam = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-character lowercase hex commit SHA');
const commitParams = repoParams.extend({ sha: shaParam });
/** A repository's whole path as one URL-encoded segment (`acme%2Fplatform%2Fbilling`), as GitLab's API takes a project; the router has decoded it. */
const pathParams = z.object({
  path: z
    .string()
    .max(2100)
    .regex(REPO_PATH_PATTERN, 'a URL-encoded repository path, e.g. acme%2Fbilling or, for a GitLab subgroup project, acme%2Fplatform%2Fbilling (up to 20 nested groups)'),
});
const pathCommitParams = pathParams.extend({ sha: shaParam });
const PATH_PARAM = {
  name: 'path',
  description: 'the repository\'s full path URL-encoded as one segment (`/` as `%2F`): `acme%2Fbilling`, or a GitLab subgroup project `acme%2Fplatform%2Fbilling`',
} as const;

/** The decoded `:path` segment of a full-path route; a segment without `/` is a one-level name of the owner/name routes the router matched here instead. */
function isWholePath(params: unknown): boolean {
  const path = (params as { path?: unknown }).path;
  return typeof path === 'string' && path.includes('/');
}
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().max(201).optional(),
});
const syncParams = z.object({ syncId: z.uuid('a sync id (uuid)') });

/**
 * The repository catalogue (docs/architecture.md §7): the admin reads all of it; a team token reads the
 * repositories of its own configs (their config repositories and `artifact.repo`s) and, in a
 * config repository, only its own configs — unless SLUICE_CATALOGUE_VISIBILITY=installation.
 * Another team's repository answers 404 exactly as an unknown one does, so a team cannot learn
 * which repositories exist.
 */
@ApiTags('repos')
@ApiBearerAuth()
@ApiResponse({ status: 400, description: 'bad path or query parameter, naming the field', schema: errorResponse })
@ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: errorResponse })
@Controller('api/repos')
@UseGuards(BearerAuthGuard)
export class ReposController {
  constructor(
    private readonly queries: CatalogueQueries,
    @Inject(POLICY_GATE) private readonly policies: PolicyGate,
    @Inject(CATALOGUE_VISIBILITY) private readonly visibility: CatalogueVisibility,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Repositories in the catalogue by full name; page with ?after=<next>' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 100' })
  @ApiQuery({ name: 'after', required: false, description: 'the next of the previous page (a repository full name)' })
  @ApiResponse({ status: 200, schema: openApiSchema(repoPageSchema) })
  list(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    const q = parseOrThrow(listQuery, query, 'query');
    return this.queries.listRepos(q.limit, q.after ?? null, this.teamOf(principal));
  }

  /*
   * Full-path routes (a GitLab subgroup project: /api/repos/acme%2Fplatform%2Fbilling/configs). They
   * are registered before the owner/name routes of the same depth, and the router cannot tell
   * `/api/repos/acme/configs` (repository acme/configs) from `/api/repos/<path>/configs`: a `:path`
   * without `/` is that owner/name repository's detail. `:path/commits/:sha` is registered after
   * `:owner/:name/branches` and `/configs`, so `/api/repos/acme/commits/branches` stays the branches of acme/commits.
   */
  @Get(':path')
  @ApiOperation({ summary: 'One repository by its URL-encoded full path (GitLab subgroups: acme%2Fplatform%2Fbilling); as GET /api/repos/{owner}/{name}' })
  @ApiParam(PATH_PARAM)
  @ApiResponse({ status: 200, schema: openApiSchema(repoDetailSchema) })
  @ApiResponse({ status: 404, description: "repository not in the catalogue (or another team's)", schema: errorResponse })
  async getByPath(@CurrentPrincipal() principal: Principal, @Param() params: unknown) {
    const fullName = parseOrThrow(pathParams, params, 'param').path;
    return this.detail(principal, fullName);
  }

  @Get(':path/branches')
  @ApiOperation({ summary: 'Branches of a repository by its URL-encoded full path; as GET /api/repos/{owner}/{name}/branches' })
  @ApiParam(PATH_PARAM)
  @ApiResponse({ status: 200, schema: openApiSchema(branchListSchema) })
  @ApiResponse({ status: 404, description: "repository not in the catalogue (or another team's)", schema: errorResponse })
  async branchesByPath(@CurrentPrincipal() principal: Principal, @Param() params: unknown) {
    if (!isWholePath(params)) return this.detail(principal, `${parseOrThrow(repoParams, { owner: (params as { path?: unknown }).path, name: 'branches' }, 'param').owner}/branches`);
    const fullName = await this.knownPath(principal, parseOrThrow(pathParams, params, 'param').path);
    return { items: await this.queries.branches(fullName) };
  }

  @Get(':path/configs')
  @ApiOperation({ summary: 'Configs of a config repository by its URL-encoded full path; as GET /api/repos/{owner}/{name}/configs' })
  @ApiParam(PATH_PARAM)
  @ApiResponse({ status: 200, schema: openApiSchema(repoConfigsSchema) })
  @ApiResponse({ status: 404, description: "repository not in the catalogue (or another team's)", schema: errorResponse })
  async configsByPath(@CurrentPrincipal() principal: Principal, @Param() params: unknown) {
    if (!isWholePath(params)) return this.detail(principal, `${parseOrThrow(repoParams, { owner: (params as { path?: unknown }).path, name: 'configs' }, 'param').owner}/configs`);
    const fullName = await this.knownPath(principal, parseOrThrow(pathParams, params, 'param').path);
    return withPolicyVerdicts(await this.queries.configs(fullName, this.teamOf(principal)), this.policies);
  }

  @Get(':owner/:name')
  @ApiOperation({ summary: 'One repository: default branch, counts of branches, configs and config errors, last scanned config SHA' })
  @ApiParam({ name: 'owner' })
  @ApiParam({ name: 'name' })
  @ApiResponse({ status: 200, schema: openApiSchema(repoDetailSchema) })
  @ApiResponse({ status: 404, description: "repository not in the catalogue (or another team's)", schema: errorResponse })
  async get(@CurrentPrincipal() principal: Principal, @Param() params: unknown) {
    const p = parseOrThrow(repoParams, params, 'param');
    return this.detail(principal, `${p.owner}/${p.name}`);
  }

  @Get(':owner/:name/branches')
  @ApiOperation({ summary: 'Branches of a repository with their head commits' })
  @ApiParam({ name: 'owner' })
  @ApiParam({ name: 'name' })
  @ApiResponse({ status: 200, schema: openApiSchema(branchListSchema) })
  @ApiResponse({ status: 404, description: "repository not in the catalogue (or another team's)", schema: errorResponse })
  async branches(@CurrentPrincipal() principal: Principal, @Param() params: unknown) {
    const fullName = await this.known(principal, params);
    return { items: await this.queries.branches(fullName) };
  }

  @Get(':owner/:name/commits/:sha')
  @ApiOperation({ summary: 'One commit of a repository with its builds (CI statuses)' })
  @ApiParam({ name: 'owner' })
  @ApiParam({ name: 'name' })
  @ApiParam({ name: 'sha', description: '40-character lowercase hex commit SHA' })
  @ApiResponse({ status: 200, schema: openApiSchema(commitSchema) })
  @ApiResponse({ status: 404, description: "repository not in the catalogue (or another team's), or commit not known", schema: errorResponse })
  async commit(@CurrentPrincipal() principal: Principal, @Param() params: unknown) {
    const p = parseOrThrow(commitParams, params, 'param');
    const fullName = await this.known(principal, p);
    const commit = await this.queries.commit(fullName, p.sha);
    if (!commit) throw new NotFoundError(`commit ${p.sha} of ${fullName} is not known`);
    return commit;
  }

  /** Valid configs (each with its team policy's verdict) and, per folder, the validation errors of the last scan. */
  @Get(':owner/:name/configs')
  @ApiOperation({
    summary: "Valid configs of a config repository, each with its team policy's verdict (policy.allowed false: never deployed, and why), and per folder the validation errors of the last scan",
  })
  @ApiParam({ name: 'owner' })
  @ApiParam({ name: 'name' })
  @ApiResponse({ status: 200, schema: openApiSchema(repoConfigsSchema) })
  @ApiResponse({ status: 404, description: "repository not in the catalogue (or another team's)", schema: errorResponse })
  async configs(@CurrentPrincipal() principal: Principal, @Param() params: unknown) {
    const fullName = await this.known(principal, params);
    return withPolicyVerdicts(await this.queries.configs(fullName, this.teamOf(principal)), this.policies);
  }

  @Get(':path/commits/:sha')
  @ApiOperation({ summary: 'One commit of a repository by its URL-encoded full path; as GET /api/repos/{owner}/{name}/commits/{sha}' })
  @ApiParam(PATH_PARAM)
  @ApiParam({ name: 'sha', description: '40-character lowercase hex commit SHA' })
  @ApiResponse({ status: 200, schema: openApiSchema(commitSchema) })
  @ApiResponse({ status: 404, description: "repository not in the catalogue (or another team's), or commit not known", schema: errorResponse })
  async commitByPath(@CurrentPrincipal() principal: Principal, @Param() params: unknown) {
    const p = parseOrThrow(pathCommitParams, params, 'param');
    const fullName = await this.knownPath(principal, p.path);
    const commit = await this.queries.commit(fullName, p.sha);
    if (!commit) throw new NotFoundError(`commit ${p.sha} of ${fullName} is not known`);
    return commit;
  }

  /** The repository's full name, or 404 when it is not in the catalogue or not the principal's to read. */
  private async known(principal: Principal, params: unknown): Promise<string> {
    const p = parseOrThrow(repoParams, params, 'param');
    return this.knownPath(principal, `${p.owner}/${p.name}`);
  }

  private async knownPath(principal: Principal, fullName: string): Promise<string> {
    if (!(await this.queries.repo(fullName, this.teamOf(principal)))) throw notInCatalogue(fullName);
    return fullName;
  }

  private async detail(principal: Principal, fullName: string) {
    const repo = await this.queries.repo(fullName, this.teamOf(principal));
    if (!repo) throw notInCatalogue(fullName);
    return repo;
  }

  private teamOf(principal: Principal): string | null {
    return catalogueTeamOf(principal, this.visibility);
  }
}

/** The same answer for an unknown repository and another team's. */
function notInCatalogue(fullName: string): NotFoundError {
  return new NotFoundError(`repository ${fullName} is not in the catalogue`);
}

/** Global sync (admin; a team token gets 403). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: errorResponse })
@ApiResponse({ status: 403, description: 'not the admin token', schema: errorResponse })
@Controller('api/admin/sync')
@UseGuards(BearerAuthGuard, AdminOnlyGuard)
export class SyncController {
  constructor(private readonly sync: GlobalSync) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a global sync of every repository the SCM credentials can see — GitHub, and GitLab and Bitbucket when their tokens are set (or join the one running)',
  })
  @ApiResponse({ status: 202, schema: openApiSchema(syncStartedSchema) })
  async start(@CurrentPrincipal() principal: Principal) {
    const { syncId, started } = await this.sync.start(subjectOf(principal));
    return { syncId, started };
  }

  @Get(':syncId')
  @ApiOperation({ summary: 'Progress of a global sync' })
  @ApiParam({ name: 'syncId', description: 'the syncId POST /api/admin/sync answered' })
  @ApiResponse({ status: 200, schema: openApiSchema(syncProgressSchema) })
  @ApiResponse({ status: 400, description: 'syncId is not a UUID', schema: errorResponse })
  @ApiResponse({ status: 404, description: 'unknown sync', schema: errorResponse })
  async progress(@Param() params: unknown) {
    const p = parseOrThrow(syncParams, params, 'param');
    const progress = await this.sync.progress(p.syncId);
    if (!progress) throw new NotFoundError(`sync ${p.syncId} does not exist`);
    return progress;
  }
}
