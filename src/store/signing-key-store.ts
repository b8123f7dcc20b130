/** The rotated signing keys (migration 9): sealed, so a copy of the table signs nothing. */
import { asc, inArray } from 'drizzle-orm';
import type { Database } from './database';
import { signingKeys } from './tables';

export interface StoredSigningKey {
  readonly kid: string;
  readonly algorithm: string;
  /** auth/secret-box.ts's box of the key's bytes. */
  readonly sealedKey: string;
  readonly createdAt: Date;
  readonly activatesAt: Date;
}

export class SqlSigningKeyStore {
  constructor(private readonly db: Database) {}

  async add(key: StoredSigningKey): Promise<void> {
    await this.db.insert(signingKeys).values(key);
  }

  /** Every stored key, in the order they activate. */
  list(): Promise<StoredSigningKey[]> {
    return this.db.select().from(signingKeys).orderBy(asc(signingKeys.activatesAt));
  }

  /** Deletes the keys with these ids (retired ones: see auth/key-ring.ts). */
  async delete(kids: readonly string[]): Promise<void> {
    if (kids.length === 0) return;
    await this.db.delete(signingKeys).where(inArray(signingKeys.kid, [...kids]));
  }
}
