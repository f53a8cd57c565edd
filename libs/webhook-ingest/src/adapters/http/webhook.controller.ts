import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  BadRequestError,
  createLogger,
  errorResponse,
  isJsonContentType,
  NotFoundError,
  openApiSchema,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  type OpenApiInfo,
} from '@sluice/platform';
import type { WebhookProvider, WebhookProviders } from '@sluice/scm';
import { z } from 'zod';
import { ResolveShortHashes } from '../../application/resolve-short-hashes';
import { IngestDelivery } from '../persistence/ingest-delivery';
import { BodyTooLargeError, cutOffAfterResponse, MAX_WEBHOOK_BYTES, readRawBody } from './raw-body';
import { UploadBudget, UploadBudgetExceededError, type UploadTicket } from './upload-budget';
import { deliveriesCounter, type DeliveryOutcome } from './webhook-metrics';

export interface WebhookAnswer {
  readonly deliveryId: string;
  readonly result: 'accepted' | 'duplicate' | 'ignored';
  readonly reason?: string;
}

/** Webhook-ingest's OpenAPI document (served at `/api/docs-json` with `setupOpenApi` from `@sluice/platform`). */
export const WEBHOOK_INGEST_OPENAPI: OpenApiInfo = {
  title: 'Sluice webhook-ingest',
  description:
    'Webhook deliveries of GitHub, GitLab and Bitbucket Cloud, verified with the webhook secret (X-Hub-Signature-256, X-Gitlab-Token, X-Hub-Signature), not a bearer token',
};

const webhookAnswerSchema = z.object({
  deliveryId: z.string(),
  result: z.enum(['accepted', 'duplicate', 'ignored']),
  reason: z.string().optional().describe('why an ignored delivery was ignored'),
});

export const WEBHOOK_BODY_LIMIT = Symbol('WEBHOOK_BODY_LIMIT');
/** The `WebhookProviders` (libs/scm) this service takes deliveries of. */
export const WEBHOOK_PROVIDERS = Symbol('WEBHOOK_PROVIDERS');

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `POST /webhooks/:provider` (docs/architecture.md §7), e.g. `/webhooks/github`. Answers within
 * milliseconds: the provider (libs/scm) reads its headers and verifies the raw bytes; the delivery
 * is normalised and stored with its events in one transaction; everything heavier happens
 * downstream of the outbox relay. Size limits, the upload budget and idempotency are the same
 * for every provider.
 */
@ApiTags('webhooks')
@Controller('webhooks')
export class WebhookController {
  private readonly log = createLogger('webhook-ingest');

  constructor(
    @Inject(WEBHOOK_PROVIDERS) private readonly providers: WebhookProviders,
    private readonly ingest: IngestDelivery,
    private readonly budget: UploadBudget,
    private readonly shortHashes: ResolveShortHashes,
    @Inject(WEBHOOK_BODY_LIMIT) private readonly bodyLimit: number = MAX_WEBHOOK_BYTES,
  ) {}

  @Post(':provider')
  @HttpCode(202)
  @ApiOperation({ summary: "A webhook delivery of a source-control provider: verified, normalised and stored with its events in one transaction" })
  @ApiParam({ name: 'provider', description: 'the provider (one with a configured webhook secret)', schema: { type: 'string', enum: ['github', 'gitlab', 'bitbucket'] } })
  @ApiConsumes('application/json')
  @ApiHeader({ name: 'X-GitHub-Event', required: false, description: 'github: the event' })
  @ApiHeader({ name: 'X-GitHub-Delivery', required: false, description: 'github: the delivery id' })
  @ApiHeader({ name: 'X-Hub-Signature-256', required: false, description: 'github: sha256=<HMAC of the raw body with the webhook secret>' })
  @ApiHeader({ name: 'X-Gitlab-Event', required: false, description: 'gitlab: the event (Push Hook, Tag Push Hook, Pipeline Hook, Merge Request Hook)' })
  @ApiHeader({ name: 'X-Gitlab-Event-UUID', required: false, description: 'gitlab: the delivery id (else Idempotency-Key)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'gitlab: the delivery id when X-Gitlab-Event-UUID is absent' })
  @ApiHeader({ name: 'X-Gitlab-Token', required: false, description: "gitlab: the webhook's secret token" })
  @ApiHeader({ name: 'X-Event-Key', required: false, description: 'bitbucket: the event (repo:push, repo:commit_status_*, pullrequest:*)' })
  @ApiHeader({ name: 'X-Request-UUID', required: false, description: 'bitbucket: the delivery id' })
  @ApiHeader({ name: 'X-Hub-Signature', required: false, description: 'bitbucket: sha256=<HMAC of the raw body with the webhook secret>' })
  @ApiResponse({ status: 202, description: 'stored (accepted), seen before (duplicate) or not an event Sluice uses (ignored)', schema: openApiSchema(webhookAnswerSchema) })
  @ApiResponse({ status: 400, description: 'missing or bad header, or a body that is not JSON', schema: errorResponse })
  @ApiResponse({ status: 401, description: 'the signature (or GitLab token) matches no configured webhook secret', schema: errorResponse })
  @ApiResponse({ status: 404, description: 'no such provider, or none configured (no webhook secret)', schema: errorResponse })
  @ApiResponse({ status: 413, description: 'body over the limit (25 MB)', schema: errorResponse })
  @ApiResponse({ status: 415, description: 'content type is not application/json', schema: errorResponse })
  @ApiResponse({
    status: 429,
    description: 'too many webhook bodies (or bytes) are being received and checked at once; retry after Retry-After seconds',
    headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
    schema: errorResponse,
  })
  @ApiResponse({
    status: 503,
    description: "bitbucket: a pull request's abbreviated commit hash could not be looked up on Bitbucket's API (failing, rate limited or slow); nothing was stored, send it again after Retry-After seconds",
    headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
    schema: errorResponse,
  })
  async receive(@Param('provider') name: string, @Req() req: IncomingMessage, @Res({ passthrough: true }) res: ServerResponse): Promise<WebhookAnswer> {
    try {
      const provider = this.providers.get(name);
      if (!provider) throw new NotFoundError(`no webhook provider "${name}" (configured: ${[...this.providers.keys()].join(', ') || 'none'})`, { code: 'unknown_provider' });
      const answer = await this.handle(provider, req, res);
      this.count(answer.result);
      return answer;
    } catch (error) {
      this.count(outcomeOf(error));
      throw error;
    }
  }

  private async handle(provider: WebhookProvider, req: IncomingMessage, res: ServerResponse): Promise<WebhookAnswer> {
    const reading = provider.read((name) => header(req, name));
    if (!reading.ok) {
      if ('missing' in reading) throw new BadRequestError(`missing header(s): ${reading.missing.join(', ')}`, { code: 'missing_header' });
      throw new BadRequestError(reading.bad, { code: 'bad_header' });
    }
    const { event, deliveryId } = reading.headers;
    if (!isJsonContentType(header(req, 'content-type'))) {
      // GitHub's other choice, application/x-www-form-urlencoded, is not read.
      throw new UnsupportedMediaTypeError('webhooks must be sent with content-type: application/json (the webhook setting "Content type")');
    }

    // Until the signature is checked the sender is anonymous: what its body holds counts
    // against the upload budget, released on every way out of this block.
    let ticket: UploadTicket | undefined;
    let raw: Buffer;
    try {
      ticket = this.budget.admit();
      raw = await readRawBody(req as IncomingMessage & { rawBody?: Buffer }, this.bodyLimit, ticket);
      if (!provider.verify(raw, reading.headers)) {
        // debug, not warn: a flood of forged requests must not become a flood of log lines (the metric counts them).
        this.log.debug({ provider: provider.name, deliveryId, event }, 'webhook signature mismatch');
        throw new UnauthorizedError('signature does not match any configured webhook secret', { code: 'bad_signature' });
      }
    } catch (error) {
      if (error instanceof BodyTooLargeError || error instanceof UploadBudgetExceededError) {
        // The rest of the body is discarded, not read into memory, and the connection closed.
        res.setHeader('Connection', 'close');
        cutOffAfterResponse(req, res);
      }
      throw error;
    } finally {
      ticket?.release();
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new BadRequestError('body is not valid JSON', { code: 'bad_json' });
    }

    // Bitbucket's pull requests name commits by abbreviated hashes: the full ones are looked up first.
    const resolved = await this.shortHashes.resolve(provider.name, { event, deliveryId, payload });
    const normalised = resolved.kind === 'ignored' ? resolved : provider.normalise(resolved.input);
    if (normalised.kind === 'ignored') {
      this.log.debug({ provider: provider.name, deliveryId, event, reason: normalised.reason }, 'webhook ignored');
      return { deliveryId, result: 'ignored', reason: normalised.reason };
    }
    const result = await this.ingest.execute({ deliveryId, event, signature: reading.headers.credential, raw, normalised });
    this.log.info({ provider: provider.name, deliveryId, event, result, stream: normalised.stream, events: normalised.events.length }, 'webhook received');
    return { deliveryId, result };
  }

  private count(result: DeliveryOutcome): void {
    deliveriesCounter().inc({ result });
  }
}

function outcomeOf(error: unknown): DeliveryOutcome {
  if (error instanceof BodyTooLargeError) return 'too_large';
  if (error instanceof UploadBudgetExceededError) return 'busy';
  if (error instanceof UnauthorizedError) return 'bad_signature';
  if (error instanceof BadRequestError) return 'bad_request';
  if (error instanceof UnsupportedMediaTypeError) return 'unsupported_media_type';
  if (error instanceof ServiceUnavailableError) return 'scm_unavailable';
  return 'error';
}
