import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NotFoundError, ZodValidationPipe } from '@sluice/platform';
import type { z } from 'zod';
import type { DeployAccepted, DeployService } from '../../application/deploy-service';
import { READ_MODELS, type DeployView, type ReadModels } from '../../application/read-models';
import { BearerAuthGuard, CurrentPrincipal, requireTeam, subjectOf, teamOf, type Principal } from '@sluice/auth';
import { DomainErrorsInterceptor } from './domain-errors.interceptor';
import { createDeployBody, deployIdParam, openApiSchema, reasonBody } from './schemas';
import { DEPLOY_SERVICE } from './tokens';
import { deployAcceptedSchema, deployViewSchema, errorSchema } from './response-schemas';

@ApiTags('deploys')
@ApiBearerAuth()
@ApiResponse({ status: 400, description: 'bad input, naming the field', schema: openApiSchema(errorSchema) })
@ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: openApiSchema(errorSchema) })
@ApiResponse({ status: 403, description: "another team's config or deploy", schema: openApiSchema(errorSchema) })
@ApiResponse({ status: 404, description: 'unknown config or deploy', schema: openApiSchema(errorSchema) })
@Controller('api/deploys')
@UseGuards(BearerAuthGuard)
@UseInterceptors(DomainErrorsInterceptor)
export class DeploysController {
  constructor(
    @Inject(READ_MODELS) private readonly reads: ReadModels,
    @Inject(DEPLOY_SERVICE) private readonly deploys: DeployService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Deploy a state pair (artifactSha, configSha); pins the config',
    description:
      'Artifactful configs accept (sha, sha) or (null, null), artifactless ones (null, sha) or (null, null); SHAs must be known commits of the artifact and config repositories (422 otherwise). A pair identical to the one queued, in flight or applied returns that deploy (created: false).',
  })
  @ApiBody({ schema: openApiSchema(createDeployBody) })
  @ApiResponse({ status: 202, schema: openApiSchema(deployAcceptedSchema) })
  @ApiResponse({ status: 409, description: 'config removed from its repository', schema: openApiSchema(errorSchema) })
  @ApiResponse({ status: 422, description: 'state pair not accepted by the config, or unknown commit', schema: openApiSchema(errorSchema) })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodValidationPipe(createDeployBody)) body: z.output<typeof createDeployBody>,
  ): Promise<DeployAccepted> {
    return this.deploys.deploy(
      { subject: subjectOf(principal), team: teamOf(principal) },
      { config: body.config, pair: { artifactSha: body.artifactSha, configSha: body.configSha }, reason: body.reason },
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'One deploy: pair, image tag, cause, who and why, phase and the time of each transition' })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, schema: openApiSchema(deployViewSchema) })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', new ZodValidationPipe(deployIdParam)) id: string): Promise<DeployView> {
    const deploy = await this.reads.getDeploy(id);
    if (!deploy) throw new NotFoundError(`deploy ${id} is not known`, { code: 'deploy_not_found' });
    requireTeam(principal, deploy.team);
    return deploy;
  }

  @Post(':id/reapply')
  @HttpCode(202)
  @ApiOperation({ summary: 'Re-apply: a new deploy of exactly the same pair and image tag; pins the config' })
  @ApiParam({ name: 'id' })
  @ApiBody({ schema: openApiSchema(reasonBody), required: false })
  @ApiResponse({ status: 202, schema: openApiSchema(deployAcceptedSchema) })
  async reapply(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ZodValidationPipe(deployIdParam)) id: string,
    @Body(new ZodValidationPipe(reasonBody)) body: z.output<typeof reasonBody>,
  ): Promise<DeployAccepted> {
    return this.deploys.reapply({ subject: subjectOf(principal), team: teamOf(principal) }, id, body.reason);
  }

  @Post(':id/abandon')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Abandon the deploy in flight: record it failed (reason Abandoned) so the queued deploy is requested',
    description: 'The escape hatch when kube-applier never reports an outcome. 409 when the deploy is not in flight.',
  })
  @ApiParam({ name: 'id' })
  @ApiBody({ schema: openApiSchema(reasonBody), required: false })
  async abandon(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ZodValidationPipe(deployIdParam)) id: string,
    @Body(new ZodValidationPipe(reasonBody)) body: z.output<typeof reasonBody>,
  ): Promise<{ deployId: string; phase: 'failed' }> {
    await this.deploys.abandon({ subject: subjectOf(principal), team: teamOf(principal) }, id, body.reason);
    return { deployId: id, phase: 'failed' };
  }
}
