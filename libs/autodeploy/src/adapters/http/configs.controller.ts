import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BadRequestError, NotFoundError, ZodValidationPipe } from '@sluice/platform';
import type { DeployService } from '../../application/deploy-service';
import { READ_MODELS, type BuildView, type ConfigView, type DeployView, type HistoryEntry, type ReadModels } from '../../application/read-models';
import { BearerAuthGuard, CurrentPrincipal, requireTeam, subjectOf, teamOf, type Principal } from '@sluice/auth';
import { DomainErrorsInterceptor } from './domain-errors.interceptor';
import { buildsQuery, configNameParam, eventHistoryQuery, historyQuery, listConfigsQuery, openApiSchema, reasonBody } from './schemas';
import { DEPLOY_SERVICE } from './tokens';
import { buildListSchema, configListSchema, configViewSchema, deployAcceptedSchema, deployPageSchema, errorSchema, historyPageSchema } from './response-schemas';
import type { z } from 'zod';

@ApiTags('configs')
@ApiBearerAuth()
@ApiResponse({ status: 400, description: 'bad input, naming the field', schema: openApiSchema(errorSchema) })
@ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: openApiSchema(errorSchema) })
@ApiResponse({ status: 403, description: "another team's config", schema: openApiSchema(errorSchema) })
@ApiResponse({ status: 404, description: 'unknown config', schema: openApiSchema(errorSchema) })
@Controller('api/configs')
@UseGuards(BearerAuthGuard)
@UseInterceptors(DomainErrorsInterceptor)
export class ConfigsController {
  constructor(
    @Inject(READ_MODELS) private readonly reads: ReadModels,
    @Inject(DEPLOY_SERVICE) private readonly deploys: DeployService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Configs with their current state; a team token sees its own team' })
  @ApiQuery({ name: 'team', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(configListSchema) })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodValidationPipe(listConfigsQuery)) query: z.output<typeof listConfigsQuery>,
  ): Promise<{ configs: ConfigView[] }> {
    if (query.team !== undefined) requireTeam(principal, query.team);
    return { configs: await this.reads.listConfigs(query.team ?? teamOf(principal)) };
  }

  @Get(':name')
  @ApiOperation({ summary: 'One config: root fields, current (artifactSha, configSha), phase, pin, deploy in flight and queued' })
  @ApiParam({ name: 'name' })
  @ApiResponse({ status: 200, schema: openApiSchema(configViewSchema) })
  async get(@CurrentPrincipal() principal: Principal, @Param('name', new ZodValidationPipe(configNameParam)) name: string): Promise<ConfigView> {
    return this.visibleConfig(principal, name);
  }

  @Get(':name/deploys')
  @ApiOperation({ summary: "The config's deploys, newest first; page with ?before=<deployId>" })
  @ApiParam({ name: 'name' })
  @ApiQuery({ name: 'limit', required: false, description: '1-200, default 50' })
  @ApiQuery({ name: 'before', required: false, description: 'a deploy id of this config: list the ones before it' })
  @ApiResponse({ status: 200, schema: openApiSchema(deployPageSchema) })
  async history(
    @CurrentPrincipal() principal: Principal,
    @Param('name', new ZodValidationPipe(configNameParam)) name: string,
    @Query(new ZodValidationPipe(historyQuery)) query: z.output<typeof historyQuery>,
  ): Promise<{ deploys: DeployView[]; next: string | null }> {
    await this.visibleConfig(principal, name);
    const page = await this.reads.deploysOf(name, query.limit, query.before ?? null);
    if (page === 'unknown-cursor') {
      throw new BadRequestError(`query.before: ${query.before} is not a deploy of config "${name}"`, { details: { field: 'query.before' } });
    }
    return { deploys: page, next: page.length === query.limit ? (page.at(-1)?.id ?? null) : null };
  }

  @Get(':name/builds')
  @ApiOperation({ summary: 'The builds Sluice ran for the config (deploy.yaml build:), newest first, with their phases' })
  @ApiParam({ name: 'name' })
  @ApiQuery({ name: 'limit', required: false, description: '1-200, default 50' })
  @ApiResponse({ status: 200, schema: openApiSchema(buildListSchema) })
  async builds(
    @CurrentPrincipal() principal: Principal,
    @Param('name', new ZodValidationPipe(configNameParam)) name: string,
    @Query(new ZodValidationPipe(buildsQuery)) query: z.output<typeof buildsQuery>,
  ): Promise<{ builds: BuildView[] }> {
    await this.visibleConfig(principal, name);
    return { builds: await this.reads.buildsOf(name, query.limit) };
  }

  @Get(':name/history')
  @ApiOperation({ summary: "Every decision and outcome of the config's stream, newest first: what, who, why" })
  @ApiParam({ name: 'name' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 100' })
  @ApiQuery({ name: 'before', required: false, description: 'a stream version: list the entries before it' })
  @ApiResponse({ status: 200, schema: openApiSchema(historyPageSchema) })
  async events(
    @CurrentPrincipal() principal: Principal,
    @Param('name', new ZodValidationPipe(configNameParam)) name: string,
    @Query(new ZodValidationPipe(eventHistoryQuery)) query: z.output<typeof eventHistoryQuery>,
  ): Promise<{ history: HistoryEntry[]; next: number | null }> {
    await this.visibleConfig(principal, name);
    const history = await this.reads.historyOf(name, query.limit, query.before ?? null);
    return { history, next: history.length === query.limit ? (history.at(-1)?.streamVersion ?? null) : null };
  }

  @Post(':name/undeploy')
  @HttpCode(202)
  @ApiOperation({ summary: 'Undeploy: request (null, null); pins the config' })
  @ApiParam({ name: 'name' })
  @ApiBody({ schema: openApiSchema(reasonBody), required: false })
  @ApiResponse({ status: 202, schema: openApiSchema(deployAcceptedSchema) })
  @ApiResponse({ status: 409, description: 'config removed from its repository', schema: openApiSchema(errorSchema) })
  async undeploy(
    @CurrentPrincipal() principal: Principal,
    @Param('name', new ZodValidationPipe(configNameParam)) name: string,
    @Body(new ZodValidationPipe(reasonBody)) body: z.output<typeof reasonBody>,
  ): Promise<{ deployId: string; created: boolean }> {
    return this.deploys.undeploy({ subject: subjectOf(principal), team: teamOf(principal) }, name, body.reason);
  }

  @Post(':name/pin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pin: autodeploy leaves the config alone until it is unpinned' })
  @ApiParam({ name: 'name' })
  @ApiBody({ schema: openApiSchema(reasonBody), required: false })
  async pin(
    @CurrentPrincipal() principal: Principal,
    @Param('name', new ZodValidationPipe(configNameParam)) name: string,
    @Body(new ZodValidationPipe(reasonBody)) body: z.output<typeof reasonBody>,
  ): Promise<{ config: string; pinned: boolean }> {
    await this.deploys.pin({ subject: subjectOf(principal), team: teamOf(principal) }, name, body.reason, true);
    return { config: name, pinned: true };
  }

  @Post(':name/unpin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unpin: autodeploy applies the rules again from the next event' })
  @ApiParam({ name: 'name' })
  @ApiBody({ schema: openApiSchema(reasonBody), required: false })
  async unpin(
    @CurrentPrincipal() principal: Principal,
    @Param('name', new ZodValidationPipe(configNameParam)) name: string,
    @Body(new ZodValidationPipe(reasonBody)) body: z.output<typeof reasonBody>,
  ): Promise<{ config: string; pinned: boolean }> {
    await this.deploys.pin({ subject: subjectOf(principal), team: teamOf(principal) }, name, body.reason, false);
    return { config: name, pinned: false };
  }

  private async visibleConfig(principal: Principal, name: string): Promise<ConfigView> {
    const config = await this.reads.getConfig(name);
    if (!config) throw new NotFoundError(`config "${name}" is not known`, { code: 'config_not_found' });
    requireTeam(principal, config.team);
    return config;
  }
}
