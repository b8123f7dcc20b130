/** UserStore over drizzle: one set of queries for PGlite and PostgreSQL. */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from './database';
import {
  DuplicateEmail,
  DuplicateUsername,
  LastActiveAdmin,
  UnknownCursor,
  type CanonicalUsername,
  type NewUser,
  type UserPageQuery,
  type UserRecord,
  type UserStore,
} from './ports';
import { rowCounts, users } from './tables';

const UNIQUE_VIOLATION = '23505';

export class SqlUserStore implements UserStore {
  /** Every login runs it: prepared, so drizzle builds its SQL once. */
  private readonly byCanonicalUsername;
  /** Every refresh runs it (findCurrent), and every request whose user is not cached. */
  private readonly byId;

  constructor(private readonly db: Database) {
    this.byCanonicalUsername = db
      .select()
      .from(users)
      .where(eq(users.canonicalUsername, sql.placeholder('canonical')))
      .limit(1)
      .prepare('user_by_canonical_username');
    this.byId = db
      .select()
      .from(users)
      .where(eq(users.id, sql.placeholder('id')))
      .limit(1)
      .prepare('user_by_id');
  }

  async findByCanonicalUsername(canonical: CanonicalUsername): Promise<UserRecord | undefined> {
    const rows = await this.byCanonicalUsername.execute({ canonical });
    return rows[0];
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.byId.execute({ id });
    return rows[0];
  }

  findCurrent(id: string): Promise<UserRecord | undefined> {
    return this.findById(id);
  }

  async passwordHashOf(id: string): Promise<string | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db
      .select({ hash: users.passwordHash })
      .from(users)
      .where(eq(users.id, id))
      .limit(1);
    return rows[0]?.hash;
  }

  async create(user: NewUser): Promise<UserRecord> {
    try {
      const rows = await this.db.insert(users).values(user).returning();
      return rows[0]!;
    } catch (error) {
      if (pgErrorCode(error) === UNIQUE_VIOLATION) {
        if (pgErrorField(error, 'constraint') === 'users_canonical_email_key') {
          throw new DuplicateEmail();
        }
        throw new DuplicateUsername(user.username);
      }
      throw error;
    }
  }

  async findByCanonicalEmail(canonicalEmail: string): Promise<UserRecord | undefined> {
    const rows = await this.db
      .select()
      .from(users)
      .where(eq(users.canonicalEmail, canonicalEmail))
      .limit(1);
    return rows[0];
  }

  async markEmailVerified(id: string, canonicalEmail: string): Promise<UserRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db
      .update(users)
      .set({ emailVerified: true })
      .where(and(eq(users.id, id), eq(users.canonicalEmail, canonicalEmail)))
      .returning();
    return rows[0];
  }

  async setRole(id: string, role: string): Promise<UserRecord | undefined> {
    if (!isUuid(id)) return undefined;
    if (role === 'ADMIN') {
      const rows = await this.db.update(users).set({ role }).where(eq(users.id, id)).returning();
      return rows[0];
    }
    return this.whileAdminsLocked(id, async (tx) => {
      const rows = await tx.update(users).set({ role }).where(eq(users.id, id)).returning();
      return rows[0];
    });
  }

  async setActive(id: string, active: boolean): Promise<UserRecord | undefined> {
    if (!isUuid(id)) return undefined;
    if (active) {
      const rows = await this.db
        .update(users)
        .set({ isActive: true })
        .where(eq(users.id, id))
        .returning();
      return rows[0];
    }
    return this.whileAdminsLocked(id, async (tx) => {
      const rows = await tx
        .update(users)
        .set({ isActive: false })
        .where(eq(users.id, id))
        .returning();
      return rows[0];
    });
  }

  /**
   * Runs `change`, which takes ADMIN away from user `id` (deactivation or demotion), unless it
   * is the only active ADMIN. Every active admin is locked first: two such changes of the last
   * two admins queue on these locks, and the second re-reads the rows the first changed (READ
   * COMMITTED re-checks a locked row's new version), so it sees one admin left and refuses.
   */
  private whileAdminsLocked(
    id: string,
    change: (tx: Database) => Promise<UserRecord | undefined>,
  ): Promise<UserRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const admins = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, 'ADMIN'), eq(users.isActive, true)))
        .for('update');
      if (admins.length === 1 && admins[0]!.id === id) throw new LastActiveAdmin(id);
      return change(tx);
    });
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.update(users).set({ passwordHash }).where(eq(users.id, id));
  }

  /**
   * Keyset pagination: the page starts after the row (created_at, id) of `after`, so a page
   * costs the same however deep it is, and users created meanwhile never shift a page (an
   * OFFSET would repeat or skip rows). The id breaks ties between equal timestamps.
   */
  async list({ first, after, search, role, active }: UserPageQuery): Promise<UserRecord[]> {
    if (after !== undefined && !isUuid(after)) throw new UnknownCursor(after);
    const rows = await this.db
      .select()
      .from(users)
      .where(
        and(
          // In SQL, not through a JS Date: created_at has microseconds, a Date only milliseconds.
          after === undefined
            ? undefined
            : sql`(${users.createdAt}, ${users.id}) >
                (SELECT created_at, id FROM users WHERE id = ${after}::uuid)`,
          search === undefined
            ? undefined
            : // The canonical form's prefix (auth/usernames.ts: NFKC, then lowercase).
              sql`${users.canonicalUsername} LIKE ${likePrefix(search.normalize('NFKC').toLowerCase())}`,
          role === undefined ? undefined : eq(users.role, role),
          active === undefined ? undefined : eq(users.isActive, active),
        ),
      )
      .orderBy(asc(users.createdAt), asc(users.id))
      .limit(first);
    // An empty page is also what an unknown cursor gives: tell the two apart only then.
    if (rows.length === 0 && after !== undefined && !(await this.findById(after))) {
      throw new UnknownCursor(after);
    }
    return rows;
  }

  async count(): Promise<number> {
    const rows = await this.db
      .select({ n: rowCounts.value })
      .from(rowCounts)
      .where(eq(rowCounts.name, 'users'));
    return rows[0]?.n ?? 0;
  }
}

/** A LIKE pattern matching strings that start with `prefix` (its % _ and \\ taken literally). */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** A field of a driver error (e.g. `constraint`), wherever drizzle put it. */
function pgErrorField(error: unknown, field: 'constraint'): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const value = (e as Error & { [key in typeof field]?: unknown })[field];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** The SQLSTATE of a driver error, wherever drizzle put it (its own error wraps the driver's). */
export function pgErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
