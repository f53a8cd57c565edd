import type { IncomingMessage } from 'node:http';
import { BadRequestError, PayloadTooLargeError } from '@sluice/platform';
import type { UploadTicket } from './upload-budget';

/** GitHub caps webhook payloads at 25 MB. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

/**
 * The sender went away before its body ended: nobody reads the answer, and it is the client's
 * doing — logged and counted as a 400 (`client_gone`), never as a 5xx of the service.
 */
export class ClientGoneError extends BadRequestError {
  constructor(message: string) {
    super(message, { code: 'client_gone' });
  }
}

export class BodyTooLargeError extends PayloadTooLargeError {
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`, { code: 'payload_too_large' });
  }
}

/** A request whose body an app-level parser already read (Nest with `rawBody: true`). */
type MaybeParsed = IncomingMessage & { rawBody?: Buffer };

/**
 * The raw request bytes, never more than `limit` held in memory: a declared
 * Content-Length over the limit is refused before reading; a body that grows past it
 * while streaming is refused at that point (the caller then closes the connection).
 * With a `ticket`, every byte is taken from the shared upload budget before it is kept
 * (a declared length all at once, before reading), and the read stops with
 * `UploadBudgetExceededError` when the budget has no more; the caller releases the ticket.
 * When the app's body parser already kept the raw body (the all-in-one app parses JSON
 * for its other routes, with the same limit) that buffer is used: it is already in
 * memory, so it is not counted.
 */
export async function readRawBody(req: MaybeParsed, limit = MAX_WEBHOOK_BYTES, ticket?: UploadTicket): Promise<Buffer> {
  if (Buffer.isBuffer(req.rawBody)) {
    if (req.rawBody.length > limit) throw new BodyTooLargeError(limit);
    return req.rawBody;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  let taken = 0;
  if (ticket && Number.isFinite(declared) && declared > 0) {
    ticket.take(declared);
    taken = declared;
  }
  if (req.readableEnded) {
    throw new Error('the request body was consumed before the webhook handler without keeping the raw body (enable rawBody)');
  }
  // Plain listeners rather than `for await`: leaving an async iterator destroys the
  // socket, and the 413 still has to be written on it.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      req.off('close', onClose);
    };
    const stop = (error: Error) => {
      cleanup();
      chunks.length = 0;
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop(new BodyTooLargeError(limit));
      if (ticket && size > taken) {
        try {
          ticket.take(size - taken);
        } catch (error) {
          return stop(error as Error);
        }
        taken = size;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAborted = () => onError(new ClientGoneError('request aborted by the client'));
    // A connection closed before the end (without 'aborted' on some paths) must not leave the read pending.
    const onClose = () => onError(new ClientGoneError('connection closed before the request body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
    req.on('close', onClose);
  });
}

/**
 * After a 413 the rest of an oversized upload is discarded (not buffered) and the
 * connection is closed shortly after the response went out, so the client can read it.
 */
export function cutOffAfterResponse(req: IncomingMessage, res: { once(event: 'finish', cb: () => void): unknown }, graceMs = 250): void {
  res.once('finish', () => {
    req.resume();
    setTimeout(() => req.destroy(), graceMs).unref();
  });
}
