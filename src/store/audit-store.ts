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
}

export type NewAuthEvent = Omit<AuthEventRecord, 'id'>;

export interface AuditStore {
  append(event: NewAuthEvent): Promise<void>;
  /** Newest first; only `userId`'s events when given. */
  list(options: { userId?: string; limit: number }): Promise<AuthEventRecord[]>;
  /** Deletes up to `limit` events older than `before`; returns how many. */
  prune(before: Date, limit: number): Promise<number>;
}

/** User agents can be anything a client sends: keep a bounded prefix. */
const MAX_USER_AGENT = 512;

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
      })
      .prepare('append_auth_event');
  }

  async append(event: NewAuthEvent): Promise<void> {
    await this.insert.execute({
      ...event,
      userAgent: event.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
    });
  }

  async list({ userId, limit }: { userId?: string; limit: number }): Promise<AuthEventRecord[]> {
    if (userId !== undefined && !isUuid(userId)) return [];
    return this.db
      .select()
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
