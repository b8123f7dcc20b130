/**
 * The one place where errors become what clients see (docs/API.md, "Errors").
 *
 * AuthErrors carry the contract's code and reason. GraphQL request errors (syntax, validation,
 * variables) pass as Apollo made them. A value the database refused is the client's
 * BAD_USER_INPUT (store/refused-value.ts). Anything else is unexpected: it is logged with a request
 * id and, in production, masked as INTERNAL_SERVER_ERROR with no message, stack or SQL.
 */
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AuthError, type AnyAuthError } from '../auth/errors';
import { isRefusedValue } from '../store/refused-value';
import { isStoreUnavailable } from '../store/unavailable';

export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`unreachable case: ${JSON.stringify(value)}`);
  }
}

export function authErrorExtensions(error: AnyAuthError): Record<string, unknown> {
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return { code: error.code, reason: error.reason };
    case 'RATE_LIMITED':
      return { code: error.code, retryAfter: error.retryAfterSeconds };
    case 'FORBIDDEN':
      return error.reason === undefined
        ? { code: error.code }
        : { code: error.code, reason: error.reason };
    case 'BAD_USER_INPUT':
    case 'SERVICE_UNAVAILABLE':
      return { code: error.code };
    default:
      throw new UnreachableCaseError(error);
  }
}

/**
 * What a client sees of a failure it cannot act on: the formatter's mask in production, the
 * short way's when formatting fails, the HTTP layer's 500. One wording, so that every way a
 * request can fail unexpectedly looks alike; the log has the rest, under the request id.
 */
export const INTERNAL_ERROR = {
  message: 'Internal server error',
  code: 'INTERNAL_SERVER_ERROR',
} as const;

export interface ErrorFormatterOptions {
  readonly production: boolean;
}

/**
 * The errors an operator must hear about: a store that is not answering, or an exception
 * nobody raised on purpose. Undefined for errors that are the client's (and for AuthErrors).
 * errorLogPlugin logs these; the formatter masks them.
 */
export function unexpectedError(error: unknown):
  | {
      kind: 'store unavailable' | 'value refused by the database' | 'unexpected error';
      error: unknown;
    }
  | undefined {
  const original = unwrapResolverError(error);
  if (original instanceof AuthError) return undefined;
  if (isStoreUnavailable(original)) return { kind: 'store unavailable', error: original };
  if (isRefusedValue(original)) return { kind: 'value refused by the database', error: original };
  const code = original instanceof GraphQLError ? original.extensions.code : undefined;
  if (original instanceof GraphQLError && code !== undefined && code !== 'INTERNAL_SERVER_ERROR') {
    return undefined;
  }
  if (
    original instanceof GraphQLError &&
    original.originalError === undefined &&
    code === undefined
  ) {
    return undefined; // parse and validation errors carry no code until Apollo adds one
  }
  return { kind: 'unexpected error', error: original };
}

export function createErrorFormatter(options: ErrorFormatterOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AuthError) {
      return replaced(formatted, original.message, authErrorExtensions(original as AnyAuthError));
    }
    if (isStoreUnavailable(original)) {
      return replaced(
        formatted,
        'A store this server depends on is not answering; try again shortly.',
        { code: 'SERVICE_UNAVAILABLE' },
      );
    }
    if (isRefusedValue(original)) {
      return replaced(formatted, 'An argument has a value the server cannot store or look up.', {
        code: 'BAD_USER_INPUT',
      });
    }
    if (isCodelessRequestError(original)) {
      return hideSuggestions({ ...formatted, extensions: { code: 'BAD_REQUEST' } }, options);
    }
    // Errors raised on purpose as GraphQLErrors (parsing, validation, variables, our plugins)
    // carry their own code; a resolver's unexpected exception does not.
    const code = formatted.extensions?.code;
    if (original instanceof GraphQLError && code !== 'INTERNAL_SERVER_ERROR') {
      return hideSuggestions(stripStack(formatted), options);
    }
    if (!options.production) return formatted;
    return replaced(formatted, INTERNAL_ERROR.message, { code: INTERNAL_ERROR.code });
  };
}

/** `formatted` with our message and extensions; where it happened (locations, path) is kept. */
function replaced(
  formatted: GraphQLFormattedError,
  message: string,
  extensions: GraphQLFormattedError['extensions'],
): GraphQLFormattedError {
  const { locations, path } = formatted;
  return { message, ...(locations && { locations }), ...(path && { path }), extensions };
}

/**
 * A request error Apollo raises with an HTTP 4xx status but no code: a persisted query whose
 * hash does not match its text, or of an unknown version. Apollo would send it as
 * INTERNAL_SERVER_ERROR; it is the client's, so it is BAD_REQUEST (docs/API.md, "Request errors").
 */
function isCodelessRequestError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.originalError !== undefined) return false;
  if (error.extensions.code !== undefined) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * graphql-js ends some messages with " Did you mean …?" (unknown fields, arguments, types, enum
 * values and input fields, in validation and in variable coercion alike). In production they
 * would describe the schema that introspection hides, so they go, from every error. Apollo's
 * hideSchemaDetailsFromClientErrors does the same, but for validation errors only.
 */
const SUGGESTION = / ?Did you mean .+\?$/;

function hideSuggestions(
  formatted: GraphQLFormattedError,
  options: ErrorFormatterOptions,
): GraphQLFormattedError {
  if (!options.production || !SUGGESTION.test(formatted.message)) return formatted;
  return { ...formatted, message: formatted.message.replace(SUGGESTION, '') };
}

function stripStack(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions?.stacktrace) return formatted;
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
