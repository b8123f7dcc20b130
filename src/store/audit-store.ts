/** The audit log's storage: append, read newest first, and prune past the retention. */
import { desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Database } from './database';
import { isUuid } from './sql-user-store';
import { authEvents } from './tables';

export interface AuthEventRecord {
  readonly id: number;
  readonly at: Date;
  readonly type: string;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
  readonly username: string | null;
  /** How many events the row stands for (an aggregated row: refusals of one key and window). */
  readonly count: number;
}

export type NewAuthEvent = Omit<AuthEventRecord, 'id' | 'count'>;

export interface AuditStore {
  /**
   * Appends a row; with `aggregateKey`, the first event of that key appends one and every later
   * one only adds 1 to its count (the first event's time, address and user agent stay).
   */
  append(event: NewAuthEvent, aggregateKey?: string): Promise<AuthEventRecord>;
  /** Newest first; only `userId`'s events when given. */
  list(options: { userId?: string; limit: number }): Promise<AuthEventRecord[]>;
  /** Deletes up to `limit` events older than `before`; returns how many. */
  prune(before: Date, limit: number): Promise<number>;
}

/**
 * User agents can be anything a client sends: keep a prefix long enough to tell browsers and
 * their versions apart (a desktop Chrome's is about 120 characters, Edge's 130).
 */
export const MAX_USER_AGENT = 160;

const RECORD_COLUMNS = {
  id: authEvents.id,
  at: authEvents.at,
  type: authEvents.type,
  userId: authEvents.userId,
  sessionId: authEvents.sessionId,
  clientAddress: authEvents.clientAddress,
  userAgent: authEvents.userAgent,
  username: authEvents.username,
  count: authEvents.count,
};

export class SqlAuditStore implements AuditStore {
  /** Every login and refresh runs it: prepared, so drizzle builds its SQL once. */
  private readonly insert;

  constructor(private readonly db: Database) {
    this.insert = db
      .insert(authEvents)
      .values({
        at: sql.placeholder('at'),
        type: sql.placeholder('type'),
        userId: sql.placeholder('userId'),
        sessionId: sql.placeholder('sessionId'),
        clientAddress: sql.placeholder('clientAddress'),
        userAgent: sql.placeholder('userAgent'),
        username: sql.placeholder('username'),
        aggregateKey: sql.placeholder('aggregateKey'),
      })
      .onConflictDoUpdate({
        target: authEvents.aggregateKey,
        set: { count: sql`${authEvents.count} + 1` },
      })
      .returning(RECORD_COLUMNS)
      .prepare('append_auth_event');
  }

  async append(event: NewAuthEvent, aggregateKey?: string): Promise<AuthEventRecord> {
    const [row] = await this.insert.execute({
      ...event,
      userAgent: event.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
      aggregateKey: aggregateKey ?? null,
    });
    return row!;
  }

  async list({ userId, limit }: { userId?: string; limit: number }): Promise<AuthEventRecord[]> {
    if (userId !== undefined && !isUuid(userId)) return [];
    return this.db
      .select(RECORD_COLUMNS)
      .from(authEvents)
      .where(userId === undefined ? undefined : eq(authEvents.userId, userId))
      .orderBy(desc(authEvents.at), desc(authEvents.id))
      .limit(limit);
  }

  async prune(before: Date, limit: number): Promise<number> {
    const doomed = this.db
      .select({ id: authEvents.id })
      .from(authEvents)
      .where(lt(authEvents.at, before))
      .limit(limit);
    const rows = await this.db
      .delete(authEvents)
      .where(inArray(authEvents.id, doomed))
      .returning({ id: authEvents.id });
    return rows.length;
  }
}
