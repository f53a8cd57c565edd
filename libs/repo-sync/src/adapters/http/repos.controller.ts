import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { AdminOnlyGuard, BearerAuthGuard, CurrentPrincipal, subjectOf, type Principal } from '@sluice/auth';
import { NotFoundError, parseOrThrow } from '@sluice/platform';
import { z } from 'zod';
import { GlobalSync } from '../../application/global-sync';
import { CatalogueQueries } from '../persistence/catalogue-queries';

const segment = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'an owner or repository name');
const repoParams = z.object({ owner: segment, name: segment });
const commitParams = repoParams.extend({ sha: z.string().regex(/^[0-9a-f]{40}$/, 'a 40-character lowercase hex commit SHA') });
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().max(201).optional(),
});
const syncParams = z.object({ syncId: z.uuid('a sync id (uuid)') });

/** The repository catalogue (ARCHITECTURE §7): read by any valid token, the admin's or a team's. */
@Controller('api/repos')
@UseGuards(BearerAuthGuard)
export class ReposController {
  constructor(private readonly queries: CatalogueQueries) {}

  @Get()
  list(@Query() query: unknown) {
    const q = parseOrThrow(listQuery, query, 'query');
    return this.queries.listRepos(q.limit, q.after ?? null);
  }

  @Get(':owner/:name')
  async get(@Param() params: unknown) {
    const p = parseOrThrow(repoParams, params, 'param');
    const repo = await this.queries.repo(`${p.owner}/${p.name}`);
    if (!repo) throw new NotFoundError(`repository ${p.owner}/${p.name} is not in the catalogue`);
    return repo;
  }

  @Get(':owner/:name/branches')
  async branches(@Param() params: unknown) {
    const fullName = await this.known(params);
    return { items: await this.queries.branches(fullName) };
  }

  @Get(':owner/:name/commits/:sha')
  async commit(@Param() params: unknown) {
    const p = parseOrThrow(commitParams, params, 'param');
    const fullName = await this.known(p);
    const commit = await this.queries.commit(fullName, p.sha);
    if (!commit) throw new NotFoundError(`commit ${p.sha} of ${fullName} is not known`);
    return commit;
  }

  /** Valid configs and, per folder, the validation errors of the last scan. */
  @Get(':owner/:name/configs')
  async configs(@Param() params: unknown) {
    const fullName = await this.known(params);
    return this.queries.configs(fullName);
  }

  private async known(params: unknown): Promise<string> {
    const p = parseOrThrow(repoParams, params, 'param');
    const fullName = `${p.owner}/${p.name}`;
    if (!(await this.queries.repo(fullName))) throw new NotFoundError(`repository ${fullName} is not in the catalogue`);
    return fullName;
  }
}

/** Global sync (admin; a team token gets 403). */
@Controller('api/admin/sync')
@UseGuards(BearerAuthGuard, AdminOnlyGuard)
export class SyncController {
  constructor(private readonly sync: GlobalSync) {}

  @Post()
  @HttpCode(202)
  async start(@CurrentPrincipal() principal: Principal) {
    const { syncId, started } = await this.sync.start(subjectOf(principal));
    return { syncId, started };
  }

  @Get(':syncId')
  async progress(@Param() params: unknown) {
    const p = parseOrThrow(syncParams, params, 'param');
    const progress = await this.sync.progress(p.syncId);
    if (!progress) throw new NotFoundError(`sync ${p.syncId} does not exist`);
    return progress;
  }
}
