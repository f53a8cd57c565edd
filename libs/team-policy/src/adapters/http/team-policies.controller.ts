import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BearerAuthGuard, CurrentPrincipal, requireAdmin, subjectOf, type Principal } from '@sluice/auth';
import { teamName, teamPolicySpec } from '@sluice/contracts';
import { NotFoundError, openApiSchema, ZodValidationPipe } from '@sluice/platform';
import type { z } from 'zod';
import { TEAM_POLICY_WRITER, type TeamPolicyWriter } from '../../application/ports';
import type { TeamPolicy } from '../../domain/policy';

/**
 * The admin's side of team policies (served by autodeploy, which records them): where each
 * team's configs may come from and deploy to. Every change is an event on `sluice.auth.v1`.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'no or invalid bearer token' })
@ApiResponse({ status: 403, description: 'not the admin token' })
@Controller('api/admin/teams')
@UseGuards(BearerAuthGuard)
export class TeamPoliciesController {
  constructor(@Inject(TEAM_POLICY_WRITER) private readonly policies: TeamPolicyWriter) {}

  @Get()
  @ApiOperation({ summary: 'The configured team policies (admin); a team not listed has the default policy' })
  async list(@CurrentPrincipal() principal: Principal): Promise<{ policies: TeamPolicy[] }> {
    requireAdmin(principal);
    return { policies: await this.policies.list() };
  }

  @Get(':team/policy')
  @ApiOperation({ summary: "A team's policy (admin): configured, or the default (namespaces <team> and <team>-*)" })
  @ApiParam({ name: 'team' })
  async get(@CurrentPrincipal() principal: Principal, @Param('team', new ZodValidationPipe(teamName)) team: string): Promise<TeamPolicy> {
    requireAdmin(principal);
    return this.policies.policyOf(team);
  }

  @Put(':team/policy')
  @ApiOperation({ summary: "Set a team's policy (admin): config repositories, namespaces (names, prefix*, label selector), cluster-scoped kinds" })
  @ApiParam({ name: 'team' })
  @ApiBody({ schema: openApiSchema(teamPolicySpec) })
  @ApiResponse({ status: 200, description: 'the policy as recorded' })
  async set(
    @CurrentPrincipal() principal: Principal,
    @Param('team', new ZodValidationPipe(teamName)) team: string,
    @Body(new ZodValidationPipe(teamPolicySpec)) body: z.output<typeof teamPolicySpec>,
  ): Promise<TeamPolicy> {
    requireAdmin(principal);
    return this.policies.set(team, body, subjectOf(principal));
  }

  @Delete(':team/policy')
  @HttpCode(204)
  @ApiOperation({ summary: "Remove a team's policy (admin): the team is back to the default policy" })
  @ApiParam({ name: 'team' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('team', new ZodValidationPipe(teamName)) team: string): Promise<void> {
    requireAdmin(principal);
    if (!(await this.policies.remove(team, subjectOf(principal)))) {
      throw new NotFoundError(`team "${team}" has no configured policy`, { code: 'team_policy_not_found' });
    }
  }
}
