/**
 * Authorization header → Principal (docs/API.md, "Tokens"). Throws Unauthenticated with the
 * reason: TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED or TOKEN_REVOKED.
 *
 * Order: header syntax, then the token (shape, header, signature, claims), then revocation:
 * synchronous and in-process. Last the token's user, who must exist and be active, read through
 * the user store's cache (RequestAuth.resolve): a guarded field never sees a token whose user
 * is gone or deactivated, whatever role the token claims.
 */
import { verifyAccessToken, type Principal } from './access-tokens';
import type { AuthDeps } from './deps';
import { ServiceUnavailable, Unauthenticated } from './errors';
import type { UserRecord } from '../store/ports';
import { isStoreUnavailable } from '../store/unavailable';

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

type CallerDeps = Pick<
  AuthDeps,
  'accessTokens' | 'revocations' | 'now' | 'verifiedTokens' | 'users'
>;

/** Who is calling: the principal, or the reason there is none. */
export interface Caller {
  /**
   * The principal after every check, the user's included, or the reason there is none.
   * A promise the first time a request asks; the answer itself once the request knows it.
   */
  resolve(): Principal | Unauthenticated | Promise<Principal | Unauthenticated>;
  /**
   * The token's principal, for resolvers behind a guard (which has resolved the caller);
   * throws Unauthenticated with the reason when there is none.
   */
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
  /** The token's answer: signature, claims, revocation. */
  private token: Principal | Unauthenticated | undefined;
  /** The whole answer, the user's included; a promise while the user is being read. */
  private checked: Principal | Unauthenticated | Promise<Principal | Unauthenticated> | undefined;

  constructor(
    private readonly deps: CallerDeps,
    private readonly authorization: string | undefined,
  ) {}

  /** Verified once per request; the user is read once per request, on the first ask. */
  resolve(): Principal | Unauthenticated | Promise<Principal | Unauthenticated> {
    if (this.checked !== undefined) return this.checked;
    const token = this.verifiedToken();
    if (token instanceof Unauthenticated) return (this.checked = token);
    this.checked = activeUser(this.deps, token).then((result) => (this.checked = result));
    return this.checked;
  }

  principal(): Principal {
    const result = this.verifiedToken();
    if (result instanceof Unauthenticated) throw result;
    return result;
  }

  forLogout(): Principal | Unauthenticated {
    try {
      return this.verifiedToken();
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

  private verifiedToken(): Principal | Unauthenticated {
    if (this.token === undefined) {
      try {
        this.token = authenticate(this.deps, this.authorization);
      } catch (error) {
        if (!(error instanceof Unauthenticated)) throw error;
        this.token = error;
      }
    }
    return this.token;
  }
}

/**
 * The principal when its user exists and is active; TOKEN_REVOKED otherwise (docs/API.md,
 * "Tokens": a token of a deleted or deactivated user never reaches a guarded resolver). The
 * same answer as `me` gives such a token, whether the user was deleted, deactivated, or never
 * existed: the client's remedy is the same, log in again. A database that does not answer
 * fails closed, as the revocation list does: ServiceUnavailable.
 */
async function activeUser(
  deps: Pick<AuthDeps, 'users'>,
  principal: Principal,
): Promise<Principal | Unauthenticated> {
  let user: UserRecord | undefined;
  try {
    user = await deps.users.findById(principal.userId);
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    throw new ServiceUnavailable('Tokens cannot be checked right now; try again shortly.', {
      cause: error,
    });
  }
  return user?.isActive ? principal : new Unauthenticated('TOKEN_REVOKED');
}
