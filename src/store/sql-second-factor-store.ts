/** SecondFactorStore over drizzle: TOTP factors and their recovery codes (migration 8). */
import { and, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { rowsOf, type Database } from './database';
import type { SecondFactorStore, TotpFactor } from './ports';
import { isUuid } from './sql-user-store';
import { recoveryCodes, totpFactors } from './tables';

export class SqlSecondFactorStore implements SecondFactorStore {
  constructor(private readonly db: Database) {}

  async find(userId: string): Promise<TotpFactor | undefined> {
    if (!isUuid(userId)) return undefined;
    const rows = await this.db
      .select()
      .from(totpFactors)
      .where(eq(totpFactors.userId, userId))
      .limit(1);
    return rows[0];
  }

  async savePending(userId: string, secret: string, now: Date): Promise<boolean> {
    // Inserts, or replaces a pending factor; a confirmed one is left alone (the WHERE of the
    // conflict's UPDATE), and then no row comes back.
    const rows = await this.db
      .insert(totpFactors)
      .values({ userId, secret, createdAt: now })
      .onConflictDoUpdate({
        target: totpFactors.userId,
        set: { secret, createdAt: now, lastStep: 0 },
        setWhere: isNull(totpFactors.confirmedAt),
      })
      .returning({ userId: totpFactors.userId });
    return rows.length > 0;
  }

  confirm(
    userId: string,
    secret: string,
    step: number,
    recoveryCodeHashes: readonly string[],
    now: Date,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // The referee of concurrent confirmations: only the first still finds it pending. The
      // sealed secret must be the one whose code was checked, not one enrolled since.
      const confirmed = await tx
        .update(totpFactors)
        .set({ confirmedAt: now, lastStep: step })
        .where(
          and(
            eq(totpFactors.userId, userId),
            eq(totpFactors.secret, secret),
            isNull(totpFactors.confirmedAt),
            lt(totpFactors.lastStep, step),
          ),
        )
        .returning({ userId: totpFactors.userId });
      if (confirmed.length === 0) return false;
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      if (recoveryCodeHashes.length > 0) {
        await tx
          .insert(recoveryCodes)
          .values(recoveryCodeHashes.map((codeHash) => ({ userId, codeHash, createdAt: now })));
      }
      return true;
    });
  }

  async useStep(userId: string, step: number): Promise<boolean> {
    if (!isUuid(userId)) return false;
    const rows = await this.db
      .update(totpFactors)
      .set({ lastStep: step })
      .where(
        and(
          eq(totpFactors.userId, userId),
          isNotNull(totpFactors.confirmedAt),
          lt(totpFactors.lastStep, step),
        ),
      )
      .returning({ userId: totpFactors.userId });
    return rows.length > 0;
  }

  async useRecoveryCode(userId: string, codeHash: string, now: Date): Promise<boolean> {
    if (!isUuid(userId)) return false;
    const rows = await this.db
      .update(recoveryCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(recoveryCodes.userId, userId),
          eq(recoveryCodes.codeHash, codeHash),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .returning({ userId: recoveryCodes.userId });
    return rows.length > 0;
  }

  async remove(userId: string): Promise<boolean> {
    if (!isUuid(userId)) return false;
    // One statement: the codes and the factor go together.
    const rows = await rowsOf<{ user_id: string }>(
      this.db,
      sql`
      WITH codes AS (DELETE FROM recovery_codes WHERE user_id = ${userId}::uuid)
      DELETE FROM totp_factors WHERE user_id = ${userId}::uuid RETURNING user_id`,
    );
    return rows.length > 0;
  }

  async confirmedAmong(userIds: readonly string[]): Promise<Set<string>> {
    const ids = [...new Set(userIds.filter(isUuid))];
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .select({ userId: totpFactors.userId })
      .from(totpFactors)
      .where(and(inArray(totpFactors.userId, ids), isNotNull(totpFactors.confirmedAt)));
    return new Set(rows.map((row) => row.userId));
  }
}
