import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { parseEvent, type EventEnvelope } from '@sluice/contracts';
import { EventStore, START, toEnvelope } from '@sluice/event-store';
import { NotFoundError, ZodValidationPipe } from '@sluice/platform';
import { z } from 'zod';
import type { ReplayService, ReplayStatus } from '../persistence/replay';
import type { TypeOrmTokenStore } from '../persistence/typeorm-token-store';
import { BearerAuthGuard, CurrentPrincipal, requireAdmin, subjectOf, type Principal } from '@sluice/auth';
import { eventsQuery, issueTokenBody, openApiSchema } from './schemas';
import { REPLAY_SERVICE, TOKEN_STORE } from './tokens';

const replayIdSchema = z.uuid('a replay id (UUID)');
const tokenIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'a token id (16 hex characters)');

@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'no or invalid bearer token' })
@ApiResponse({ status: 403, description: 'not the admin token' })
@Controller('api')
@UseGuards(BearerAuthGuard)
export class AdminController {
  constructor(
    private readonly store: EventStore,
    @Inject(REPLAY_SERVICE) private readonly replays: ReplayService,
    @Inject(TOKEN_STORE) private readonly tokens: TypeOrmTokenStore,
  ) {}

  @Get('events')
  @ApiOperation({ summary: "The raw log of autodeploy's streams, in log order (admin)" })
  @ApiQuery({ name: 'stream', required: false, description: 'e.g. config-billing-api' })
  @ApiQuery({ name: 'after', required: false, description: 'the next of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  async events(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodValidationPipe(eventsQuery)) query: z.output<typeof eventsQuery>,
  ): Promise<{ events: Array<EventEnvelope & { position: string }>; next: string | null }> {
    requireAdmin(principal);
    const [transactionId, globalPosition] = query.after ? query.after.split(':') : [START.transactionId, START.globalPosition];
    const stored = await this.store.readAll({ transactionId: transactionId!, globalPosition: globalPosition! }, { limit: query.limit, stream: query.stream });
    const events = stored.map((e) => {
      let envelope: EventEnvelope = toEnvelope(e);
      try {
        envelope = parseEvent(envelope);
      } catch {
        // shown as stored: the raw log hides nothing
      }
      return { ...envelope, position: `${e.position.transactionId}:${e.position.globalPosition}` };
    });
    const last = stored.at(-1);
    return { events, next: last ? `${last.position.transactionId}:${last.position.globalPosition}` : (query.after ?? null) };
  }

  @Post('admin/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Rebuild every read model from the log into a copy, swapped in atomically once caught up (admin); the API answers from the live tables meanwhile. Poll GET /api/admin/replay/{id} for progress' })
  @ApiResponse({ status: 202, description: '{replayId, requestedBy, requestedAt, status: running|done|failed, processed, total, error}; while one runs, that one' })
  async replay(@CurrentPrincipal() principal: Principal): Promise<ReplayStatus> {
    requireAdmin(principal);
    return this.replays.start(subjectOf(principal));
  }

  @Get('admin/replay/:id')
  @ApiOperation({ summary: 'Progress of a replay (admin)' })
  @ApiParam({ name: 'id' })
  async replayStatus(@CurrentPrincipal() principal: Principal, @Param('id', new ZodValidationPipe(replayIdSchema)) id: string): Promise<ReplayStatus> {
    requireAdmin(principal);
    const status = await this.replays.status(id);
    if (!status) throw new NotFoundError(`replay ${id} is not known`, { code: 'replay_not_found' });
    return status;
  }

  @Post('admin/tokens')
  @HttpCode(201)
  @ApiOperation({ summary: 'Issue a team token (admin); shown once, stored as its SHA-256' })
  @ApiBody({ schema: openApiSchema(issueTokenBody) })
  @ApiResponse({ status: 201, description: '{token, team, id}' })
  async issueToken(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodValidationPipe(issueTokenBody)) body: z.output<typeof issueTokenBody>,
  ): Promise<{ id: string; team: string; token: string }> {
    requireAdmin(principal);
    const { id, token } = await this.tokens.issue(body.team, subjectOf(principal));
    return { id, team: body.team, token };
  }

  @Get('admin/tokens')
  @ApiOperation({ summary: 'Team tokens issued (admin): id, team, who issued them and when — never the token' })
  async listTokens(@CurrentPrincipal() principal: Principal): Promise<{ tokens: Array<{ id: string; team: string; createdBy: string; createdAt: string }> }> {
    requireAdmin(principal);
    return { tokens: await this.tokens.list() };
  }

  @Delete('admin/tokens/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a team token (admin); it stops working here at once, in the other services once auth.token.revoked reached them' })
  @ApiParam({ name: 'id' })
  async revokeToken(@CurrentPrincipal() principal: Principal, @Param('id', new ZodValidationPipe(tokenIdSchema)) id: string): Promise<void> {
    requireAdmin(principal);
    if (!(await this.tokens.revoke(id, subjectOf(principal)))) throw new NotFoundError(`token ${id} is not known`, { code: 'token_not_found' });
  }
}
