/** OneTimeCodeStore over drizzle: invites, email verification and password reset codes. */
import { and, eq, gt, inArray, isNull, lt, or } from 'drizzle-orm';
import type { Database } from './database';
import type { OneTimeCode, OneTimeCodePurpose, OneTimeCodeStore } from './ports';
import { isUuid } from './sql-user-store';
import { oneTimeCodes, users } from './tables';

export class SqlOneTimeCodeStore implements OneTimeCodeStore {
  constructor(private readonly db: Database) {}

  async add(code: OneTimeCode): Promise<void> {
    await this.db.insert(oneTimeCodes).values({
      codeHash: code.hash,
      purpose: code.purpose,
      userId: code.userId ?? null,
      email: code.email ?? null,
      role: code.role ?? null,
      createdBy: code.createdBy ?? null,
      createdAt: code.createdAt,
      expiresAt: code.expiresAt,
    });
  }

  async consume(
    hash: string,
    purpose: OneTimeCodePurpose,
    now: Date,
  ): Promise<OneTimeCode | undefined> {
    // The conditional UPDATE is the referee: of concurrent uses only the first still finds
    // used_at NULL.
    const [row] = await this.db
      .update(oneTimeCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(oneTimeCodes.codeHash, hash),
          eq(oneTimeCodes.purpose, purpose),
          isNull(oneTimeCodes.usedAt),
          gt(oneTimeCodes.expiresAt, now),
        ),
      )
      .returning();
    if (!row) return undefined;
    return {
      hash: row.codeHash,
      purpose,
      userId: row.userId ?? undefined,
      email: row.email ?? undefined,
      role: row.role ?? undefined,
      createdBy: row.createdBy ?? undefined,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
    };
  }

  async release(hash: string): Promise<void> {
    await this.db.update(oneTimeCodes).set({ usedAt: null }).where(eq(oneTimeCodes.codeHash, hash));
  }

  /**
   * Deleted, not marked used: a code being used right now (consumed, its use not finished)
   * must not come back through `release` once a newer code has replaced it.
   */
  async retire(userId: string, purpose: OneTimeCodePurpose): Promise<void> {
    if (!isUuid(userId)) return;
    await this.db
      .delete(oneTimeCodes)
      .where(and(eq(oneTimeCodes.userId, userId), eq(oneTimeCodes.purpose, purpose)));
  }

  async replace(code: OneTimeCode & { readonly userId: string }): Promise<void> {
    // Retire-then-add as two statements lets two concurrent calls each retire the codes before
    // either adds its own, and both codes stay usable. The user's row lock queues them instead.
    await this.db.transaction(async (tx) => {
      await tx
        .select({ id: users.id })
        .from(users)
        .where(eq(users.id, code.userId))
        .for('no key update');
      const store = new SqlOneTimeCodeStore(tx);
      await store.retire(code.userId, code.purpose);
      await store.add(code);
    });
  }

  async prune(before: Date, limit: number): Promise<number> {
    const doomed = this.db
      .select({ hash: oneTimeCodes.codeHash })
      .from(oneTimeCodes)
      .where(or(lt(oneTimeCodes.expiresAt, before), lt(oneTimeCodes.usedAt, before)))
      .limit(limit);
    const rows = await this.db
      .delete(oneTimeCodes)
      .where(inArray(oneTimeCodes.codeHash, doomed))
      .returning({ hash: oneTimeCodes.codeHash });
    return rows.length;
  }
}
