/**
 * Sessions, read top to bottom: login starts one, refresh rotates its refresh token, logout
 * ends it (docs/API.md, "Tokens"). A session is one login on one device; its access tokens name
 * it in `sid`, so ending it refuses all of them at once through the revocation list.
 */
import { randomUUID } from 'node:crypto';
import type { AssuranceLevel, Principal } from './access-tokens';
import { accessTokenLifetimeSeconds, signAccessToken } from './access-tokens';
import type { ClientInfo } from './client';
import type { AuthDeps } from './deps';
import { BadUserInput, Forbidden, RateLimited, Unauthenticated } from './errors';
import { ADMIN_ROLE, RoleOrder } from './roles';
import { isCleanText } from './input-text';
import { RateLimits } from './rate-limits';
import {
  hashRefreshToken,
  issueRefreshToken,
  isWellFormedRefreshToken,
  type IssuedRefreshToken,
} from './refresh-tokens';
import type { CanonicalUsername, SessionRecord, UserRecord } from '../store/ports';
import { canonicalUsername } from './usernames';

export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  /** Seconds until the refresh token expires. */
  readonly refreshExpiresIn: number;
}

/** mySessions lists at most this many (docs/API.md: no unbounded list). */
export const MAX_SESSIONS_LISTED = 100;

/** Why a session ended, as `sessionEnded` tells its subscribers (docs/API.md). */
export const SESSION_END_REASONS = [
  'LOGGED_OUT',
  'REVOKED',
  'REUSE_DETECTED',
  'PASSWORD_CHANGED',
  'DEACTIVATED',
  'EXPIRED',
] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

const REUSED_MESSAGE =
  'This refresh token was already used, so its session has been ended; log in again.';

export class Sessions {
  private readonly limits: RateLimits;

  constructor(private readonly deps: AuthDeps) {
    this.limits = new RateLimits(deps.failureCounter, deps.loginLimits, deps.now);
  }

  /** Refused with RateLimited, before the password is checked, past too many failures. */
  async login(username: string, password: string, client: ClientInfo): Promise<TokenPair> {
    // No user can have such a name (input-text.ts): answered as a wrong password would be,
    // without a query, a count or an audit row. The password is only compared, never checked.
    if (!isCleanText(username)) throw new Unauthenticated('INVALID_CREDENTIALS');
    const { audit } = this.deps;
    const canonical = canonicalUsername(username);
    let user: UserRecord;
    try {
      user = await this.limits.login(username, client, () =>
        this.checkPassword(canonical, password, client),
      );
    } catch (error) {
      if (error instanceof RateLimited) {
        await audit.record('LOGIN_RATE_LIMITED', {
          client,
          username: canonical,
          aggregateKey: this.refusalKey(error),
        });
      }
      throw error;
    }
    // Only after a correct password, so the answer does not tell strangers the account exists.
    if (!user.isActive) {
      await audit.record('LOGIN_FAILED', { userId: user.id, username: canonical, client });
      throw new Forbidden('This account is deactivated.');
    }

    const { pair, sessionId } = await this.start(user, client);
    await audit.record('LOGIN_SUCCEEDED', {
      userId: user.id,
      sessionId,
      username: canonical,
      client,
    });
    return pair;
  }

  /** A new session of `user` (login, sign-up): its first token pair. */
  async start(
    user: UserRecord,
    client: ClientInfo | undefined,
  ): Promise<{ pair: TokenPair; sessionId: string }> {
    const now = this.deps.now();
    const sessionId = randomUUID();
    const refresh = issueRefreshToken(now, this.deps.refreshTokenTtlSeconds);
    await this.deps.sessions.create(
      { id: sessionId, userId: user.id, createdAt: new Date(now), client },
      refresh,
    );
    // Every session starts at aal1, a second factor or not: verifyMfa raises it (mfa.ts).
    return { pair: this.pair(user, sessionId, refresh, now, 'aal1'), sessionId };
  }

  /** The caller's live sessions, the most recently used first (at most MAX_SESSIONS_LISTED). */
  list(principal: Principal): Promise<SessionRecord[]> {
    return this.deps.sessions.listLive(
      principal.userId,
      new Date(this.deps.now()),
      MAX_SESSIONS_LISTED,
    );
  }

  /**
   * Ends one session, on every instance: one of the caller's own, or anyone's for an admin.
   * Any other id is answered as an unknown one, so ids of other users' sessions are not
   * confirmed.
   */
  async revoke(principal: Principal, sessionId: string, client?: ClientInfo): Promise<true> {
    const session = await this.deps.sessions.findLive(sessionId, new Date(this.deps.now()));
    const roles = this.deps.accessTokens.roles ?? RoleOrder.DEFAULT;
    const mayEnd =
      session !== undefined &&
      (session.userId === principal.userId || roles.includesAny(principal.role, [ADMIN_ROLE]));
    if (!mayEnd) throw new BadUserInput(`No live session of yours has the id "${sessionId}".`);
    await this.endSessions([session.id], 'REVOKED');
    await this.deps.audit.record('SESSION_REVOKED', {
      userId: session.userId,
      sessionId: session.id,
      client,
    });
    return true;
  }

  /** Refused with RateLimited past too many failed refreshes from this client. */
  refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    return this.limits.refresh(client, () => this.rotate(refreshToken, client));
  }

  private async rotate(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const { audit } = this.deps;
    if (!isWellFormedRefreshToken(refreshToken)) {
      await audit.record('REFRESH_FAILED', { client });
      throw new Unauthenticated('TOKEN_INVALID');
    }
    const now = this.deps.now();
    const next = issueRefreshToken(now, this.deps.refreshTokenTtlSeconds);
    const result = await this.deps.sessions.rotate(
      hashRefreshToken(refreshToken),
      next,
      new Date(now),
      this.deps.refreshReuseIntervalSeconds,
      client,
    );
    if ('sessionId' in result) {
      const type = result.outcome === 'reused' ? 'REFRESH_REUSE_DETECTED' : 'REFRESHED';
      await audit.record(type, { userId: result.userId, sessionId: result.sessionId, client });
    } else {
      await audit.record('REFRESH_FAILED', { client });
    }
    switch (result.outcome) {
      case 'unknown':
        throw new Unauthenticated('TOKEN_INVALID');
      case 'expired':
        throw new Unauthenticated('TOKEN_EXPIRED');
      case 'session-ended':
        throw new Unauthenticated('TOKEN_REVOKED');
      case 'reused':
        await this.endSessions([result.sessionId], 'REUSE_DETECTED');
        throw new Unauthenticated('TOKEN_REVOKED', REUSED_MESSAGE);
      case 'rotated':
      case 'reissued': {
        // Fresh, not cached: the new access token carries the role the user has now.
        const user = await this.deps.users.findCurrent(result.userId);
        if (!user?.isActive) throw new Unauthenticated('TOKEN_REVOKED');
        // The level is the session's, read by the same statement that rotated the token.
        return this.pair(user, result.sessionId, next, now, result.level);
      }
    }
  }

  /**
   * The caller's session, raised to aal2 after its second factor was checked (mfa.ts): a new
   * pair of the same session, whose earlier refresh tokens are retired.
   */
  async raise(principal: Principal, client?: ClientInfo): Promise<TokenPair> {
    const now = this.deps.now();
    const user = await this.deps.users.findCurrent(principal.userId);
    if (!user?.isActive) throw new Unauthenticated('TOKEN_REVOKED');
    const next = issueRefreshToken(now, this.deps.refreshTokenTtlSeconds);
    const raised = await this.deps.sessions.raiseLevel(
      principal.sessionId,
      user.id,
      next,
      new Date(now),
      client,
    );
    if (!raised) throw new Unauthenticated('TOKEN_REVOKED');
    return this.pair(user, principal.sessionId, next, now, 'aal2');
  }

  /**
   * Ends the session of the Bearer token and/or of `refreshToken` (or all sessions of their
   * user). `bearer` is the caller's principal, or the reason it has none.
   */
  async logout(
    bearer: Principal | Unauthenticated,
    refreshToken: string | undefined,
    allSessions: boolean,
    client?: ClientInfo,
  ): Promise<true> {
    const found: { sessionId: string; userId: string }[] = [];
    if (!(bearer instanceof Unauthenticated)) found.push(bearer);
    if (refreshToken !== undefined && isWellFormedRefreshToken(refreshToken)) {
      const now = this.deps.now();
      const owner = await this.deps.sessions.findLiveByRefreshToken(
        hashRefreshToken(refreshToken),
        new Date(now),
      );
      if (owner && this.isReuse(owner.retiredAt, now)) {
        // As for refresh: one of its holders is not the user, so its session ends and the
        // logout does nothing else. Above all, allSessions must not let a stolen, long-retired
        // token end every session of the user.
        await this.endSessions([owner.sessionId], 'REUSE_DETECTED');
        const { userId, sessionId } = owner;
        await this.deps.audit.record('REFRESH_REUSE_DETECTED', { userId, sessionId, client });
        throw new Unauthenticated('TOKEN_REVOKED', REUSED_MESSAGE);
      }
      if (owner) found.push(owner);
    }
    if (found.length === 0) {
      if (refreshToken !== undefined) throw new Unauthenticated('TOKEN_INVALID');
      throw bearer instanceof Unauthenticated ? bearer : new Unauthenticated('TOKEN_MISSING');
    }
    if (allSessions) {
      const userIds = new Set(found.map((s) => s.userId));
      for (const userId of userIds) await this.endUserSessions(userId, 'LOGGED_OUT');
    } else {
      await this.endSessions(
        found.map((s) => s.sessionId),
        'LOGGED_OUT',
      );
    }
    for (const { userId, sessionId } of found) {
      await this.deps.audit.record('LOGGED_OUT', { userId, sessionId, client });
    }
    return true;
  }

  /** One audit row per limit key and window (LOGIN_FAILURE_WINDOW) of refusals. */
  private refusalKey(error: RateLimited): string {
    const windowMs = this.deps.loginLimits.windowSeconds * 1000;
    return `${error.key ?? 'login'}@${Math.floor(this.deps.now() / windowMs)}`;
  }

  /** A token retired at least REFRESH_REUSE_INTERVAL ago: presenting it again is reuse. */
  private isReuse(retiredAt: Date | null, nowMs: number): boolean {
    return (
      retiredAt !== null &&
      nowMs - retiredAt.getTime() >= this.deps.refreshReuseIntervalSeconds * 1000
    );
  }

  /** The user whose password this is; Unauthenticated(INVALID_CREDENTIALS) otherwise. */
  private async checkPassword(
    canonical: CanonicalUsername | undefined,
    password: string,
    client: ClientInfo,
  ): Promise<UserRecord> {
    const { users, hasher } = this.deps;
    // A name that is no one's (usernames.ts) needs no database query to be unknown.
    const user =
      canonical === undefined ? undefined : await users.findByCanonicalUsername(canonical);
    // An unknown username costs the same bcrypt work as a wrong password (docs/API.md, "Errors").
    const valid = user
      ? await hasher.verify(password, user.passwordHash)
      : await hasher.verifyNothing(password);
    if (!user || !valid) {
      await this.deps.audit.record('LOGIN_FAILED', {
        userId: user?.id,
        username: canonical,
        client,
      });
      throw new Unauthenticated('INVALID_CREDENTIALS');
    }
    return user;
  }

  /** Ends every live session of `userId` but `keep`, on every instance. */
  async endUserSessions(
    userId: string,
    reason: SessionEndReason = 'REVOKED',
    keep?: string,
  ): Promise<void> {
    const ended = await this.deps.sessions.revokeUserSessions(
      userId,
      new Date(this.deps.now()),
      keep,
    );
    await this.forget(ended, reason);
  }

  async endSessions(sessionIds: string[], reason: SessionEndReason = 'REVOKED'): Promise<void> {
    const ended = await this.deps.sessions.revoke(sessionIds, new Date(this.deps.now()));
    // A reused refresh token has already revoked its session in the store: list it anyway.
    await this.forget([...new Set([...ended, ...sessionIds])], reason);
  }

  /**
   * Calls `listener` with sessions as they end, on any instance, and why (REVOKED when the
   * instance learnt it without the reason); returns the function that stops it.
   */
  watchEnded(
    listener: (sessionIds: readonly string[], reason: SessionEndReason) => void,
  ): () => void {
    return this.deps.revocations.onRevoked((ids, reason) =>
      listener(ids, isReason(reason) ? reason : 'REVOKED'),
    );
  }

  /** Access tokens of these sessions are refused until the last of them would have expired. */
  private async forget(sessionIds: string[], reason: SessionEndReason): Promise<void> {
    if (sessionIds.length === 0) return;
    const { accessTokens, now } = this.deps;
    const until = Math.ceil(now() / 1000) + accessTokenLifetimeSeconds(accessTokens.ttlSeconds);
    await this.deps.revocations.add(sessionIds, until, reason);
  }

  private pair(
    user: UserRecord,
    sessionId: string,
    refresh: IssuedRefreshToken,
    nowMs: number,
    level: AssuranceLevel,
  ): TokenPair {
    const nowSeconds = Math.floor(nowMs / 1000);
    const access = signAccessToken(
      this.deps.accessTokens,
      { userId: user.id, role: user.role, sessionId, level },
      nowSeconds,
    );
    return {
      accessToken: access.token,
      refreshToken: refresh.token,
      tokenType: 'Bearer',
      expiresIn: access.expiresAt - nowSeconds,
      refreshExpiresIn: Math.round((refresh.expiresAt.getTime() - nowMs) / 1000),
    };
  }
}

function isReason(reason: string | undefined): reason is SessionEndReason {
  return (SESSION_END_REASONS as readonly (string | undefined)[]).includes(reason);
}
