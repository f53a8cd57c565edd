import type { LoggerService } from '@nestjs/common';
import type { Level } from 'pino';
import { createLogger, type Logger } from './logger';

const isStack = (text: string) => /\n\s+at /.test(text);

/** Nest's own log lines (start-up, errors it handles) as Sluice log lines, named `nest`, with Nest's context. */
export class NestLogger implements LoggerService {
  constructor(private readonly logger: Logger = createLogger('nest')) {}

  log(message: unknown, ...optional: unknown[]): void {
    this.write('info', message, optional);
  }
  error(message: unknown, ...optional: unknown[]): void {
    this.write('error', message, optional);
  }
  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }
  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }
  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('trace', message, optional);
  }
  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }

  /** Nest passes the context last, and for errors a stack (which may come without a context). */
  private write(level: Level, message: unknown, optional: unknown[]): void {
    const strings = optional.filter((o): o is string => typeof o === 'string');
    const stack = level === 'error' ? strings.find(isStack) : undefined;
    const context = strings.filter((s) => !isStack(s)).at(-1);
    if (message instanceof Error) this.logger[level]({ err: message, context }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...message, context });
    else this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
  }
}
