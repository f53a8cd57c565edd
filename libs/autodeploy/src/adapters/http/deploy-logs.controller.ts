import { Controller, Get, Headers, Inject, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BearerAuthGuard, CurrentPrincipal, requireTeam, type Principal } from '@sluice/auth';
import { BadRequestError, NotFoundError, ZodValidationPipe } from '@sluice/platform';
import type { Response } from 'express';
import { once } from 'node:events';
import type { z } from 'zod';
import { formatLogEntry, streamDeployLog, type DeployEvents, type DeployLogEntry, type DeployLogSink } from '../../application/deploy-log';
import { READ_MODELS, type ReadModels } from '../../application/read-models';
import { deployIdParam, deployLogsQuery, lastEventId, openApiSchema } from './schemas';
import { DEPLOY_EVENTS } from './tokens';
import { errorSchema } from './response-schemas';

const HEARTBEAT_MS = 15_000;

/** `GET /api/deploys/{id}/logs`: a deploy's steps and lines as Server-Sent Events, or as text (§7). */
@ApiTags('deploys')
@ApiBearerAuth()
@Controller('api/deploys')
@UseGuards(BearerAuthGuard)
export class DeployLogsController {
  constructor(
    @Inject(READ_MODELS) private readonly reads: ReadModels,
    @Inject(DEPLOY_EVENTS) private readonly events: DeployEvents,
  ) {}

  @Get(':id/logs')
  @ApiOperation({
    summary: "A deploy's log: its steps as they change, a line per request, object applied and failure, then its end",
    description:
      'Server-Sent Events (`event: step | line | end`, `data:` JSON, `id:` to resume with `Last-Event-ID`), following the deploy until it ends; `?follow=false` answers what is recorded so far as text, a line per entry.',
  })
  @ApiParam({ name: 'id' })
  @ApiQuery({ name: 'follow', required: false, enum: ['true', 'false'] })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'resume after this entry id' })
  @ApiProduces('text/event-stream', 'text/plain')
  @ApiResponse({ status: 200, description: 'the log (text/event-stream, or text/plain with follow=false)' })
  @ApiResponse({ status: 400, description: 'bad follow or Last-Event-ID', schema: openApiSchema(errorSchema) })
  @ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: openApiSchema(errorSchema) })
  @ApiResponse({ status: 403, description: "another team's deploy", schema: openApiSchema(errorSchema) })
  @ApiResponse({ status: 404, description: 'unknown deploy', schema: openApiSchema(errorSchema) })
  async logs(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ZodValidationPipe(deployIdParam)) id: string,
    @Query(new ZodValidationPipe(deployLogsQuery)) query: z.output<typeof deployLogsQuery>,
    @Headers('last-event-id') lastId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const after = lastId === undefined ? null : lastEventId.safeParse(lastId);
    if (after && !after.success) throw new BadRequestError(after.error.issues[0]!.message, { code: 'bad_last_event_id' });
    const deploy = await this.reads.getDeploy(id);
    if (!deploy) throw new NotFoundError(`deploy ${id} is not known`, { code: 'deploy_not_found' });
    requireTeam(principal, deploy.team);
    const options = { follow: query.follow, after: after?.data ?? null, pollMs: 300 };
    if (!query.follow) {
      const lines: string[] = [];
      await streamDeployLog(this.events, { id, config: deploy.config }, options, { closed: false, write: async (e) => void lines.push(formatLogEntry(e)), idle: async () => undefined });
      res.status(200).type('text/plain; charset=utf-8').send(lines.length ? `${lines.join('\n')}\n` : '');
      return;
    }
    res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    await streamDeployLog(this.events, { id, config: deploy.config }, options, new ResponseSink(res));
    res.end();
  }
}

/** Writes entries as Server-Sent Events, waiting for `drain` when the reader is slow; a comment now and then keeps proxies from closing it. */
class ResponseSink implements DeployLogSink {
  private gone = false;
  private lastWrite = Date.now();

  constructor(private readonly res: Response) {
    // The response closes before it ended only when the reader went away (a request's own
    // 'close' may come as soon as its body was read).
    res.on('close', () => (this.gone = true));
  }

  get closed(): boolean {
    return this.gone;
  }

  async write(entry: DeployLogEntry): Promise<void> {
    const { id, kind, ...data } = entry;
    await this.send(`id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  async idle(): Promise<void> {
    if (Date.now() - this.lastWrite >= HEARTBEAT_MS) await this.send(': still here\n\n');
  }

  private async send(chunk: string): Promise<void> {
    if (this.gone) return;
    this.lastWrite = Date.now();
    if (this.res.write(chunk)) return;
    // Whichever comes first; the other's listeners are removed, or every wait would leave one behind.
    const waited = new AbortController();
    try {
      await Promise.race([once(this.res, 'drain', { signal: waited.signal }), once(this.res, 'close', { signal: waited.signal })]);
    } finally {
      waited.abort();
    }
  }
}
