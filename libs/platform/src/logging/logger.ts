import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { z } from 'zod';
import { ConfigError, loadConfig, logLevelSetting, type LogLevel } from '../config/config';
import { correlationFields } from './correlation';
import { REDACT_PATHS, REDACTED, scrubSecrets } from './redact';

export type { Logger } from 'pino';

export interface LoggingOptions {
  /** Default: `LOG_LEVEL` from the environment, else `info`. */
  readonly level?: LogLevel;
  /** Default: stdout. Tests pass a stream to capture lines. */
  readonly destination?: DestinationStream;
  /** Added to every line through the mixin, e.g. the service name. */
  readonly service?: string;
}

let root: Logger | undefined;
let serviceName: string | undefined;

/** The pino options every Sluice logger uses: JSON, ISO time, correlation mixin, redaction. */
export function pinoOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => (serviceName === undefined ? { ...correlationFields() } : { service: serviceName, ...correlationFields() }),
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    hooks: { streamWrite: scrubSecrets },
  };
}

function envLogLevel(): LogLevel {
  try {
    return loadConfig(z.object({ LOG_LEVEL: logLevelSetting.default('info') })).LOG_LEVEL;
  } catch (err) {
    // A bad LOG_LEVEL is reported by the service's full config check at start; logging
    // must still work to report it.
    if (err instanceof ConfigError) return 'info';
    throw err;
  }
}

function build(options: LoggingOptions): Logger {
  const opts = pinoOptions(options.level ?? envLogLevel());
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/**
 * Sets up the process-wide root logger (level, destination, service name). Called by
 * `bootstrapService` once the config is loaded; loggers created afterwards follow it.
 */
export function configureLogging(options: LoggingOptions = {}): Logger {
  if (options.service !== undefined) serviceName = options.service;
  root = build(options);
  return root;
}

export function rootLogger(): Logger {
  root ??= build({});
  return root;
}

/**
 * A pino logger named `name` (the `name` field of each line). Works outside Nest too,
 * e.g. for a kafkajs `logCreator`. With `options.destination` it gets its own output
 * (used by tests); otherwise it is a child of the root logger.
 */
export function createLogger(name: string, options: LoggingOptions = {}): Logger {
  if (options.destination) return build(options).child({ name });
  const parent = rootLogger();
  return options.level ? parent.child({ name }, { level: options.level }) : parent.child({ name });
}
