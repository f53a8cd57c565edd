import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError, type SluiceError } from '@sluice/platform';
import { ConcurrencyError } from '@sluice/event-store';
import { catchError, type Observable } from 'rxjs';
import { CommandRefused } from '../../application/deploy-service';
import { DomainError } from '../../domain/errors';

/** Domain refusals → typed HTTP errors (404/403/409/422) with the domain's message and code. */
export function toHttpError(error: DomainError): SluiceError {
  const options = { code: error.code };
  switch (error.kind) {
    case 'not_found':
      return new NotFoundError(error.message, options);
    case 'forbidden':
      return new ForbiddenError(error.message, options);
    case 'conflict':
      return new ConflictError(error.message, options);
    case 'unprocessable':
      return new UnprocessableError(error.message, options);
  }
}

@Injectable()
export class DomainErrorsInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof CommandRefused) throw toHttpError(error.error);
        if (error instanceof DomainError) throw toHttpError(error);
        if (error instanceof ConcurrencyError) {
          throw new ConflictError(`${error.stream} changed concurrently too often; retry the request`, { code: 'concurrent_update' });
        }
        throw error;
      }),
    );
  }
}
