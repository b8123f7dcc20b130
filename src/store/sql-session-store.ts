/** SessionStore over drizzle: one set of queries for PGlite and PostgreSQL. */
import { and, count, eq, gt, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Database } from './database';
import type { NewRefreshToken, RotationResult, SessionStore } from './ports';
import { isUuid } from './sql-user-store';
import { refreshTokens, sessions } from './tables';

export class SqlSessionStore implements SessionStore {
  constructor(private readonly db: Database) {}

  async create(
    session: { id: string; userId: string; createdAt: Date },
    first: NewRefreshToken,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.insert(sessions).values({ ...session, expiresAt: first.expiresAt });
      await tx.insert(refreshTokens).values({
        tokenHash: first.hash,
        sessionId: session.id,
        createdAt: session.createdAt,
        expiresAt: first.expiresAt,
      });
    });
  }

  rotate(
    tokenHash: string,
    next: NewRefreshToken,
    now: Date,
    reuseIntervalSeconds: number,
  ): Promise<RotationResult> {
    return this.db.transaction(async (tx): Promise<RotationResult> => {
      // The conditional UPDATE is the race's referee: concurrent callers queue on the row lock,
      // and only the first still finds `retired_at IS NULL`.
      const retired = await tx
        .update(refreshTokens)
        .set({ retiredAt: now })
        .where(
          and(
            eq(refreshTokens.tokenHash, tokenHash),
            isNull(refreshTokens.retiredAt),
            gt(refreshTokens.expiresAt, now),
          ),
        )
        .returning({ sessionId: refreshTokens.sessionId });

      let outcome: 'rotated' | 'reissued';
      let sessionId: string;
      if (retired[0]) {
        outcome = 'rotated';
        sessionId = retired[0].sessionId;
      } else {
        const [token] = await tx
          .select()
          .from(refreshTokens)
          .where(eq(refreshTokens.tokenHash, tokenHash))
          .limit(1);
        if (!token) return { outcome: 'unknown' };
        if (token.expiresAt <= now) return { outcome: 'expired' };
        const retiredMs = now.getTime() - token.retiredAt!.getTime();
        if (retiredMs >= reuseIntervalSeconds * 1000) {
          // RFC 9700 §4.14.2: a retired refresh token came back, so one of its holders is not
          // the user. Revoke the whole session; the caller tells every instance.
          const [ended] = await tx
            .update(sessions)
            .set({ revokedAt: now })
            .where(and(eq(sessions.id, token.sessionId), isNull(sessions.revokedAt)))
            .returning({ userId: sessions.userId });
          if (!ended) return { outcome: 'session-ended' };
          return { outcome: 'reused', sessionId: token.sessionId, userId: ended.userId };
        }
        outcome = 'reissued';
        sessionId = token.sessionId;
      }

      const [session] = await tx
        .update(sessions)
        .set({ expiresAt: sql`greatest(${sessions.expiresAt}, ${next.expiresAt})` })
        .where(
          and(eq(sessions.id, sessionId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)),
        )
        .returning({ userId: sessions.userId });
      if (!session) return { outcome: 'session-ended' };
      await tx.insert(refreshTokens).values({
        tokenHash: next.hash,
        sessionId,
        createdAt: now,
        expiresAt: next.expiresAt,
      });
      return { outcome, sessionId, userId: session.userId };
    });
  }

  async findLiveByRefreshToken(
    tokenHash: string,
    now: Date,
  ): Promise<{ sessionId: string; userId: string } | undefined> {
    const rows = await this.db
      .select({ sessionId: sessions.id, userId: sessions.userId })
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

  async countLive(now: Date): Promise<number> {
    const rows = await this.db.select({ n: count() }).from(sessions).where(live(now));
    return Number(rows[0]?.n ?? 0);
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

function live(now: Date) {
  return and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now));
}
