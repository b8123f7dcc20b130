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
  const nowSeconds = Math.floor(deps.now() / 1000);
  // A header seen before was parsed and verified then: the same string gives the same answer.
  const known = authorization && deps.verifiedTokens?.get(authorization, nowSeconds);
  if (known) return known;
  if (authorization === undefined || authorization.trim() === '') {
    throw new Unauthenticated('TOKEN_MISSING');
  }
  const match = BEARER.exec(authorization);
  if (!match) {
    throw new Unauthenticated(
      'TOKEN_INVALID',
      'The Authorization header must be "Bearer <accessToken>".',
    );
  }
  const principal = verifyAccessToken(deps.accessTokens, match[1]!, nowSeconds);
  deps.verifiedTokens?.set(authorization, principal);
  return principal;
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
