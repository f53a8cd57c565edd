import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  BadRequestError,
  createLogger,
  errorResponse,
  isJsonContentType,
  openApiSchema,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  type OpenApiInfo,
} from '@sluice/platform';
import { z } from 'zod';
import { IngestDelivery } from '../../application/ingest-delivery';
import { normaliseDelivery } from '../../domain/normalise';
import { SignatureVerifier } from '../../domain/signature';
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
  description: 'GitHub webhook deliveries, verified with the webhook secret (X-Hub-Signature-256), not a bearer token',
};

const webhookAnswerSchema = z.object({
  deliveryId: z.string(),
  result: z.enum(['accepted', 'duplicate', 'ignored']),
  reason: z.string().optional().describe('why an ignored delivery was ignored'),
});

export const WEBHOOK_BODY_LIMIT = Symbol('WEBHOOK_BODY_LIMIT');

const DELIVERY_ID = /^[A-Za-z0-9-]{1,128}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `POST /webhooks/github` (docs/architecture.md §7). Answers within milliseconds: verify on the
 * raw bytes, normalise, store delivery + events in one transaction; everything heavier
 * happens downstream of the outbox relay.
 */
@ApiTags('webhooks')
@Controller('webhooks')
export class GithubWebhookController {
  private readonly log = createLogger('webhook-ingest');

  constructor(
    private readonly verifier: SignatureVerifier,
    private readonly ingest: IngestDelivery,
    private readonly budget: UploadBudget,
    @Inject(WEBHOOK_BODY_LIMIT) private readonly bodyLimit: number = MAX_WEBHOOK_BYTES,
  ) {}

  @Post('github')
  @HttpCode(202)
  @ApiOperation({ summary: 'A GitHub webhook delivery: verified, normalised and stored with its events in one transaction' })
  @ApiConsumes('application/json')
  @ApiHeader({ name: 'X-GitHub-Event', required: true })
  @ApiHeader({ name: 'X-GitHub-Delivery', required: true })
  @ApiHeader({ name: 'X-Hub-Signature-256', required: true, description: 'sha256=<HMAC of the raw body with the webhook secret>' })
  @ApiResponse({ status: 202, description: 'stored (accepted), seen before (duplicate) or not an event Sluice uses (ignored)', schema: openApiSchema(webhookAnswerSchema) })
  @ApiResponse({ status: 400, description: 'missing or bad header, or a body that is not JSON', schema: errorResponse })
  @ApiResponse({ status: 401, description: 'the signature matches no configured webhook secret', schema: errorResponse })
  @ApiResponse({ status: 413, description: 'body over the limit (25 MB)', schema: errorResponse })
  @ApiResponse({ status: 415, description: 'content type is not application/json', schema: errorResponse })
  @ApiResponse({
    status: 503,
    description: 'too many webhook bodies (or bytes) are being received and checked at once; retry after Retry-After seconds',
    headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
    schema: errorResponse,
  })
  async receive(@Req() req: IncomingMessage, @Res({ passthrough: true }) res: ServerResponse): Promise<WebhookAnswer> {
    try {
      const answer = await this.handle(req, res);
      this.count(answer.result);
      return answer;
    } catch (error) {
      this.count(outcomeOf(error));
      throw error;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<WebhookAnswer> {
    const event = header(req, 'x-github-event');
    const deliveryId = header(req, 'x-github-delivery');
    const signature = header(req, 'x-hub-signature-256');
    const missing = [
      !event && 'X-GitHub-Event',
      !deliveryId && 'X-GitHub-Delivery',
      !signature && 'X-Hub-Signature-256',
    ].filter(Boolean);
    if (missing.length > 0) throw new BadRequestError(`missing header(s): ${missing.join(', ')}`, { code: 'missing_header' });
    if (!EVENT_NAME.test(event!)) throw new BadRequestError('X-GitHub-Event is not an event name', { code: 'bad_header' });
    if (!DELIVERY_ID.test(deliveryId!)) throw new BadRequestError('X-GitHub-Delivery is not a delivery id', { code: 'bad_header' });
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
      if (!this.verifier.verify(raw, signature!)) {
        // debug, not warn: a flood of forged requests must not become a flood of log lines (the metric counts them).
        this.log.debug({ deliveryId, event }, 'webhook signature mismatch');
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

    const normalised = normaliseDelivery({ event: event!, deliveryId: deliveryId!, payload });
    if (normalised.kind === 'ignored') {
      this.log.debug({ deliveryId, event, reason: normalised.reason }, 'webhook ignored');
      return { deliveryId: deliveryId!, result: 'ignored', reason: normalised.reason };
    }
    const result = await this.ingest.execute({ deliveryId: deliveryId!, event: event!, signature: signature!, raw, normalised });
    this.log.info({ deliveryId, event, result, stream: normalised.stream, events: normalised.events.length }, 'webhook received');
    return { deliveryId: deliveryId!, result };
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
  return 'error';
}
