import type { IncomingMessage } from 'node:http';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import type { Observable } from 'rxjs';
import { UnsupportedMediaTypeError } from './errors';

/** `application/json`, or a JSON-based type such as `application/merge-patch+json`, with any parameters. */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i;

/** Nest's `RouteParamtypes.BODY`: the key prefix of a `@Body()` argument in the route-args metadata. */
const BODY_ARG = '3:';

/** True when the request carries a body: a non-zero length or a chunked upload. */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

export function isJsonContentType(contentType: string | undefined): boolean {
  return JSON_TYPE.test(contentType ?? '');
}

/**
 * A route that reads a JSON body (`@Body()`) answers 415 to a body of another type instead
 * of reading the form-encoded parse of it (`Unrecognized key: "{…}"`) or an empty one
 * (`required`). An interceptor, so after the guards: an unauthenticated call is a 401 first.
 * A request without a body passes (the schema says whether one is needed); a route that reads
 * its request stream itself (the webhook) has no `@Body()` and checks its own type.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http' && readsBody(context)) {
      const req = context.switchToHttp().getRequest<IncomingMessage>();
      const contentType = req.headers['content-type'];
      if (hasBody(req) && !isJsonContentType(contentType)) {
        throw new UnsupportedMediaTypeError(
          `the body must be JSON sent with content-type: application/json (got ${contentType ? `content-type: ${contentType.split(';')[0]}` : 'no content-type'})`,
          { details: { field: 'header.content-type', expected: 'application/json' } },
        );
      }
    }
    return next.handle();
  }
}

function readsBody(context: ExecutionContext): boolean {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), context.getHandler().name) as Record<string, unknown> | undefined;
  return args !== undefined && Object.keys(args).some((key) => key.startsWith(BODY_ARG));
}
