/** SessionStore over drizzle: one set of queries for PGlite and PostgreSQL. */
import { and, desc, eq, gt, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import { MAX_USER_AGENT } from './audit-store';
import { rowsOf, type Database } from './database';
import type {
  AssuranceLevel,
  NewRefreshToken,
  RotationResult,
  SessionClient,
  SessionRecord,
  SessionStore,
} from './ports';
import { isUuid } from './sql-user-store';
import { refreshTokens, sessions } from './tables';

export class SqlSessionStore implements SessionStore {
  constructor(private readonly db: Database) {}

  async create(
    session: { id: string; userId: string; createdAt: Date; client?: SessionClient },
    first: NewRefreshToken,
  ): Promise<void> {
    const { address, userAgent } = clientColumns(session.client);
    // One statement, so one round trip and no BEGIN/COMMIT: it commits both rows or neither.
    await this.db.execute(sql`
      WITH session AS (
        INSERT INTO sessions
          (id, user_id, created_at, expires_at, last_used_at, client_address, user_agent)
        VALUES (${session.id}::uuid, ${session.userId}::uuid,
                ${timestamp(session.createdAt)}, ${timestamp(first.expiresAt)},
                ${timestamp(session.createdAt)}, ${address}, ${userAgent})
        RETURNING id
      )
      INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)
      SELECT ${first.hash}, id, ${timestamp(session.createdAt)}, ${timestamp(first.expiresAt)}
      FROM session`);
  }

  async rotate(
    tokenHash: string,
    next: NewRefreshToken,
    now: Date,
    reuseIntervalSeconds: number,
    client?: SessionClient,
  ): Promise<RotationResult> {
    const { address, userAgent } = clientColumns(client);
    // The usual case, a current token, in one statement. Its conditional UPDATE is the race's
    // referee: concurrent callers queue on the row lock, and only the first still finds
    // `retired_at IS NULL`. The others, and every other case, take the slower path below.
    const [row] = await rowsOf<{
      session_id: string;
      user_id: string | null;
      assurance_level: AssuranceLevel | null;
    }>(
      this.db,
      sql`
      WITH retired AS (
        UPDATE refresh_tokens SET retired_at = ${timestamp(now)}
        WHERE token_hash = ${tokenHash} AND retired_at IS NULL
          AND expires_at > ${timestamp(now)}
        RETURNING session_id
      ), session AS (
        UPDATE sessions SET expires_at = greatest(expires_at, ${timestamp(next.expiresAt)}),
          last_used_at = ${timestamp(now)}, client_address = ${address}, user_agent = ${userAgent}
        WHERE id = (SELECT session_id FROM retired) AND revoked_at IS NULL
          AND expires_at > ${timestamp(now)}
        RETURNING id, user_id, assurance_level
      ), issued AS (
        INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)
        SELECT ${next.hash}, id, ${timestamp(now)}, ${timestamp(next.expiresAt)} FROM session
      )
      SELECT retired.session_id, session.user_id, session.assurance_level
      FROM retired LEFT JOIN session ON session.id = retired.session_id`,
    );
    if (!row) return this.rotateNotCurrent(tokenHash, next, now, reuseIntervalSeconds, client);
    if (row.user_id === null) return { outcome: 'session-ended' };
    return {
      outcome: 'rotated',
      sessionId: row.session_id,
      userId: row.user_id,
      level: assuranceLevel(row.assurance_level),
    };
  }

  /** A token that is not current: retired (reissue or reuse), expired, or unknown. */
  private rotateNotCurrent(
    tokenHash: string,
    next: NewRefreshToken,
    now: Date,
    reuseIntervalSeconds: number,
    client: SessionClient | undefined,
  ): Promise<RotationResult> {
    const { address, userAgent } = clientColumns(client);
    return this.db.transaction(async (tx): Promise<RotationResult> => {
      const [token] = await tx
        .select()
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, tokenHash))
        .limit(1);
      if (!token) return { outcome: 'unknown' };
      if (token.expiresAt <= now) return { outcome: 'expired' };
      const sessionId = token.sessionId;
      const retiredMs = now.getTime() - token.retiredAt!.getTime();
      if (retiredMs >= reuseIntervalSeconds * 1000) {
        // RFC 9700 §4.14.2: a retired refresh token came back, so one of its holders is not
        // the user. Revoke the whole session; the caller tells every instance.
        const [ended] = await tx
          .update(sessions)
          .set({ revokedAt: now })
          .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
          .returning({ userId: sessions.userId });
        if (!ended) return { outcome: 'session-ended' };
        return { outcome: 'reused', sessionId, userId: ended.userId };
      }

      // Retired within the reuse interval (a client retrying): another token, same session.
      const [session] = await tx
        .update(sessions)
        .set({
          expiresAt: sql`greatest(${sessions.expiresAt}, ${next.expiresAt})`,
          lastUsedAt: now,
          clientAddress: address,
          userAgent,
        })
        .where(
          and(eq(sessions.id, sessionId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)),
        )
        .returning({ userId: sessions.userId, level: sessions.assuranceLevel });
      if (!session) return { outcome: 'session-ended' };
      await tx.insert(refreshTokens).values({
        tokenHash: next.hash,
        sessionId,
        createdAt: now,
        expiresAt: next.expiresAt,
      });
      return {
        outcome: 'reissued',
        sessionId,
        userId: session.userId,
        level: assuranceLevel(session.level),
      };
    });
  }

  async raiseLevel(
    sessionId: string,
    userId: string,
    next: NewRefreshToken,
    now: Date,
    client?: SessionClient,
  ): Promise<boolean> {
    if (!isUuid(sessionId) || !isUuid(userId)) return false;
    const { address, userAgent } = clientColumns(client);
    // One statement: the session's level, its refresh tokens retired (the pair of the password
    // alone stops rotating; a retired one presented again is reuse, as always) and the next.
    const rows = await rowsOf<{ id: string }>(
      this.db,
      sql`
      WITH session AS (
        UPDATE sessions SET assurance_level = 'aal2',
          expires_at = greatest(expires_at, ${timestamp(next.expiresAt)}),
          last_used_at = ${timestamp(now)}, client_address = ${address}, user_agent = ${userAgent}
        WHERE id = ${sessionId}::uuid AND user_id = ${userId}::uuid AND revoked_at IS NULL
          AND expires_at > ${timestamp(now)}
        RETURNING id
      ), retired AS (
        UPDATE refresh_tokens SET retired_at = ${timestamp(now)}
        WHERE session_id = (SELECT id FROM session) AND retired_at IS NULL
      ), issued AS (
        INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)
        SELECT ${next.hash}, id, ${timestamp(now)}, ${timestamp(next.expiresAt)} FROM session
      )
      SELECT id FROM session`,
    );
    return rows.length > 0;
  }

  async findLiveByRefreshToken(
    tokenHash: string,
    now: Date,
  ): Promise<{ sessionId: string; userId: string; retiredAt: Date | null } | undefined> {
    const rows = await this.db
      .select({
        sessionId: sessions.id,
        userId: sessions.userId,
        retiredAt: refreshTokens.retiredAt,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(
        and(eq(refreshTokens.tokenHash, tokenHash), gt(refreshTokens.expiresAt, now), live(now)),
      )
      .limit(1);
    return rows[0];
  }

  async isLive(sessionId: string, now: Date): Promise<boolean> {
    if (!isUuid(sessionId)) return false;
    const rows = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.id, sessionId), live(now)))
      .limit(1);
    return rows.length > 0;
  }

  async findLive(sessionId: string, now: Date): Promise<SessionRecord | undefined> {
    if (!isUuid(sessionId)) return undefined;
    const rows = await this.db
      .select(SESSION_COLUMNS)
      .from(sessions)
      .where(and(eq(sessions.id, sessionId), live(now)))
      .limit(1);
    return rows[0];
  }

  async listLive(userId: string, now: Date, limit: number): Promise<SessionRecord[]> {
    if (!isUuid(userId)) return [];
    return this.db
      .select(SESSION_COLUMNS)
      .from(sessions)
      .where(and(eq(sessions.userId, userId), live(now)))
      .orderBy(desc(SESSION_COLUMNS.lastUsedAt), desc(sessions.id))
      .limit(limit);
  }

  async revoke(sessionIds: readonly string[], now: Date): Promise<string[]> {
    const ids = sessionIds.filter(isUuid);
    if (ids.length === 0) return [];
    const rows = await this.db
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(inArray(sessions.id, ids), live(now)))
      .returning({ id: sessions.id });
    return rows.map((r) => r.id);
  }

  async revokeUserSessions(userId: string, now: Date, keep?: string): Promise<string[]> {
    const rows = await this.db
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(eq(sessions.userId, userId), live(now), keep ? ne(sessions.id, keep) : undefined))
      .returning({ id: sessions.id });
    return rows.map((r) => r.id);
  }

  /**
   * Two index lookups instead of a count over the table: the trigger-kept number of unrevoked
   * sessions, less the unrevoked ones already expired (the pruner deletes those within minutes,
   * so few; sessions_unrevoked_expires_idx finds them).
   */
  async countLive(now: Date): Promise<number> {
    const [row] = await rowsOf<{ n: string | number }>(
      this.db,
      sql`SELECT (SELECT value FROM row_counts WHERE name = 'unrevoked_sessions')
        - (SELECT count(*) FROM sessions
           WHERE revoked_at IS NULL AND expires_at <= ${timestamp(now)}) AS n`,
    );
    return Number(row?.n ?? 0);
  }

  async revokedSince(since: Date): Promise<{ id: string; revokedAt: Date }[]> {
    const rows = await this.db
      .select({ id: sessions.id, revokedAt: sessions.revokedAt })
      .from(sessions)
      .where(and(isNotNull(sessions.revokedAt), gt(sessions.revokedAt, since)));
    return rows.map((r) => ({ id: r.id, revokedAt: r.revokedAt! }));
  }

  async prune(before: Date, limit: number): Promise<number> {
    // Bounded batches keep each delete short; refresh tokens go with their session (CASCADE).
    const doomed = this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(or(lt(sessions.expiresAt, before), lt(sessions.revokedAt, before)))
      .limit(limit);
    const ended = await this.db
      .delete(sessions)
      .where(inArray(sessions.id, doomed))
      .returning({ id: sessions.id });
    // A long-lived session keeps its retired tokens for reuse detection only until they expire.
    const stale = this.db
      .select({ hash: refreshTokens.tokenHash })
      .from(refreshTokens)
      .where(lt(refreshTokens.expiresAt, before))
      .limit(limit);
    const tokens = await this.db
      .delete(refreshTokens)
      .where(inArray(refreshTokens.tokenHash, stale))
      .returning({ hash: refreshTokens.tokenHash });
    return ended.length + tokens.length;
  }
}

/** What mySessions shows of a session; sessions older than migration 7 were last used when made. */
const SESSION_COLUMNS = {
  id: sessions.id,
  userId: sessions.userId,
  createdAt: sessions.createdAt,
  lastUsedAt: sql<Date>`coalesce(${sessions.lastUsedAt}, ${sessions.createdAt})`
    .mapWith(sessions.createdAt)
    .as('last_used'),
  clientAddress: sessions.clientAddress,
  userAgent: sessions.userAgent,
};

/** The column is checked by the database; a row from before migration 8 cannot exist. */
function assuranceLevel(value: string | null): AssuranceLevel {
  return value === 'aal2' ? 'aal2' : 'aal1';
}

function clientColumns(client: SessionClient | undefined) {
  return {
    address: client?.address ?? null,
    userAgent: client?.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
  };
}

/** A timestamptz parameter for hand-written SQL (drizzle maps Dates only for its own builders). */
function timestamp(date: Date) {
  return sql`${date.toISOString()}::timestamptz`;
}

function live(now: Date) {
  return and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now));
}
