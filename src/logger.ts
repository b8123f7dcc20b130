/**
 * Structured JSON logs through pino: one line per event, with the request id where there is
 * one. Never pass tokens, passwords or hashes in `fields`; as a second line of defence, pino
 * redacts the field names that would carry them.
 */
import pino, { type DestinationStream } from 'pino';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'accessToken',
  'refreshToken',
  'token',
  'authorization',
  'cookie',
  'secret',
];

export function jsonLogger(
  options: { level?: LogLevel; destination?: DestinationStream } = {},
): Logger {
  const log = pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Top-level names only: wildcard paths cost ~50 µs a line, and the nested objects we log
      // are errors (name, message, stack), which never hold these fields.
      redact: { paths: SECRET_FIELDS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 2, sync: false }),
  );
  return {
    debug: (message, fields = {}) => log.debug(fields, message),
    info: (message, fields = {}) => log.info(fields, message),
    warn: (message, fields = {}) => log.warn(fields, message),
    error: (message, fields = {}) => log.error(fields, message),
  };
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** An error as loggable fields: name, message and stack, without anything attached to it. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  return { error: { name: error.name, message: error.message, stack: error.stack } };
}
