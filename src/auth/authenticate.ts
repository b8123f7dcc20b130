/**
 * Authorization header → Principal (docs/API.md, "Tokens"). Throws Unauthenticated with the
 * reason: TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED or TOKEN_REVOKED.
 *
 * Order: header syntax, then the token (shape, header, signature, claims), then revocation.
 * Everything here is synchronous and in-process: no I/O on the hot path.
 */
import { verifyAccessToken, type Principal } from './access-tokens';
import type { AuthDeps } from './deps';
import { ServiceUnavailable, Unauthenticated } from './errors';

/** RFC 6750 §2.1, with the scheme case-insensitive as RFC 9110 §11.1 says. */
const BEARER = /^bearer +([^\s]+) *$/i;
/**
 * Far above any header we can have issued (a token is ~400 bytes): a longer one is refused
 * before it is parsed, looked up or verified.
 */
export const MAX_AUTHORIZATION_LENGTH = 8 * 1024;

export function authenticate(
  deps: Pick<AuthDeps, 'accessTokens' | 'revocations' | 'now' | 'verifiedTokens'>,
  authorization: string | undefined,
): Principal {
  const principal = identify(deps, authorization);
  let revoked: boolean;
  try {
    revoked = deps.revocations.isRevoked(principal.sessionId, Math.floor(deps.now() / 1000));
  } catch (error) {
    // Fail closed: without a current revocation list no token is trusted.
    throw new ServiceUnavailable('Tokens cannot be checked right now; try again shortly.', {
      cause: error,
    });
  }
  if (revoked) throw new Unauthenticated('TOKEN_REVOKED');
  return principal;
}

/**
 * The token's principal, verified (format, signature, claims) but not checked against the
 * revocation list: see RequestAuth.forLogout, its only user.
 */
export function identify(
  deps: Pick<AuthDeps, 'accessTokens' | 'now' | 'verifiedTokens'>,
  authorization: string | undefined,
): Principal {
  const token = bearerToken(authorization);
  const nowSeconds = Math.floor(deps.now() / 1000);
  // A token seen before was verified then: the same string gives the same answer.
  const known = deps.verifiedTokens?.get(token, nowSeconds);
  if (known) return known;
  const principal = verifyAccessToken(deps.accessTokens, token, nowSeconds);
  deps.verifiedTokens?.set(token, principal);
  return principal;
}

/** The token of an Authorization header; throws Unauthenticated when there is none. */
function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new Unauthenticated('TOKEN_MISSING');
  }
  if (authorization.length > MAX_AUTHORIZATION_LENGTH) {
    throw new Unauthenticated('TOKEN_INVALID', 'The Authorization header is too long.');
  }
  // The common spelling needs no regular expression.
  if (authorization.startsWith('Bearer ') && authorization.indexOf(' ', 7) === -1) {
    const token = authorization.slice(7);
    if (token !== '' && !/\s/.test(token)) return token;
  }
  const match = BEARER.exec(authorization);
  if (!match) {
    throw new Unauthenticated(
      'TOKEN_INVALID',
      'The Authorization header must be "Bearer <accessToken>".',
    );
  }
  return match[1]!;
}

/** Who is calling: the principal, or the reason there is none. */
export interface Caller {
  resolve(): Principal | Unauthenticated;
  /** The principal; throws Unauthenticated with the reason when there is none. */
  principal(): Principal;
  /**
   * For logout: like `resolve`, but while the revocation list is unavailable the verified token
   * still identifies its session, so users can end sessions during a Redis outage.
   */
  forLogout(): Principal | Unauthenticated;
}

/**
 * One request's view of its caller, verified lazily: a request that touches no guarded field
 * never pays for verification, and a bad token does not disturb public fields.
 */
export class RequestAuth implements Caller {
  private result: Principal | Unauthenticated | undefined;

  constructor(
    private readonly deps: Pick<
      AuthDeps,
      'accessTokens' | 'revocations' | 'now' | 'verifiedTokens'
    >,
    private readonly authorization: string | undefined,
  ) {}

  /** The principal, or the reason there is none. Verified once per request. */
  resolve(): Principal | Unauthenticated {
    if (this.result === undefined) {
      try {
        this.result = authenticate(this.deps, this.authorization);
      } catch (error) {
        if (!(error instanceof Unauthenticated)) throw error;
        this.result = error;
      }
    }
    return this.result;
  }

  /** The principal; throws Unauthenticated with the reason when there is none. */
  principal(): Principal {
    const result = this.resolve();
    if (result instanceof Unauthenticated) throw result;
    return result;
  }

  forLogout(): Principal | Unauthenticated {
    try {
      return this.resolve();
    } catch (error) {
      if (!(error instanceof ServiceUnavailable)) throw error;
    }
    try {
      return identify(this.deps, this.authorization);
    } catch (error) {
      if (error instanceof Unauthenticated) return error;
      throw error;
    }
  }
}

/** The benchmark baseline only (see server.ts): every request is the same principal. */
export class FixedCaller implements Caller {
  constructor(private readonly fixed: Principal) {}
  resolve(): Principal {
    return this.fixed;
  }
  principal(): Principal {
    return this.fixed;
  }
  forLogout(): Principal {
    return this.fixed;
  }
}
