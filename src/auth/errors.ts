/**
 * The one family of errors the auth core throws. `code` is the contract's `extensions.code`
 * (docs/API.md, "Errors"), `reason` its `extensions.reason`; both are stable and never renamed.
 */
export type UnauthenticatedReason =
  'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED' | 'INVALID_CREDENTIALS';

export abstract class AuthError extends Error {
  abstract readonly code:
    'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'RATE_LIMITED' | 'SERVICE_UNAVAILABLE';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

const UNAUTHENTICATED_MESSAGES: Record<UnauthenticatedReason, string> = {
  TOKEN_MISSING: 'This field needs an access token: send "Authorization: Bearer <accessToken>".',
  TOKEN_INVALID: 'The token is malformed, wrongly signed or not an access token.',
  TOKEN_EXPIRED: 'The token has expired; use refresh to get a new pair.',
  TOKEN_REVOKED: 'The session of this token has ended; log in again.',
  INVALID_CREDENTIALS: 'Invalid username or password.',
};

export class Unauthenticated extends AuthError {
  readonly code = 'UNAUTHENTICATED';
  constructor(
    readonly reason: UnauthenticatedReason,
    message = UNAUTHENTICATED_MESSAGES[reason],
  ) {
    super(message);
  }
}

/** Why a FORBIDDEN is not about the role: its `extensions.reason`, when it has one. */
export type ForbiddenReason = 'MFA_REQUIRED';

export class Forbidden extends AuthError {
  readonly code = 'FORBIDDEN';
  readonly reason?: ForbiddenReason;

  constructor(message: string, options?: ErrorOptions & { readonly reason?: ForbiddenReason }) {
    super(message, options);
    if (options?.reason !== undefined) this.reason = options.reason;
  }
}

export class BadUserInput extends AuthError {
  readonly code = 'BAD_USER_INPUT';
}

export class RateLimited extends AuthError {
  readonly code = 'RATE_LIMITED';
  constructor(
    readonly retryAfterSeconds: number,
    /** The limit's key (rate-limits.ts): refusals are audited once per key and window. */
    readonly key?: string,
  ) {
    super(`Too many failed attempts; try again in ${retryAfterSeconds} seconds.`);
  }
}

/** A store needed for an auth decision did not answer: callers fail closed. */
export class ServiceUnavailable extends AuthError {
  readonly code = 'SERVICE_UNAVAILABLE';
}

export type AnyAuthError =
  Unauthenticated | Forbidden | BadUserInput | RateLimited | ServiceUnavailable;
