/**
 * Migration 3 gives every existing account its canonical username (src/auth/usernames.ts), and
 * the unique index moves from the database's lower() to it: on PGlite and, in the
 * postgres+redis project, on PostgreSQL.
 */
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { canonicalUsername } from '../../src/auth/usernames';
import { openDatabase, rowsOf, type Database } from '../../src/store/database';
import { migrate, MIGRATIONS } from '../../src/store/migrations';
import { DuplicateUsername } from '../../src/store/ports';
import { SqlUserStore } from '../../src/store/sql-user-store';
import { createTestDatabase, postgresBackendEnabled } from '../support/postgres';

let db: Database;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  if (postgresBackendEnabled()) {
    const database = await createTestDatabase();
    const handle = await openDatabase({ kind: 'postgres', url: database.url });
    db = handle.db;
    cleanup = async () => {
      await handle.close();
      await database.drop();
    };
  } else {
    const client = new PGlite();
    db = drizzle({ client }) as unknown as Database;
    cleanup = () => client.close();
  }
});
afterAll(() => cleanup());

it('backfills the canonical username of existing accounts, which then log in by any spelling', async () => {
  await migrate(db, MIGRATIONS.slice(0, 2));
  await db.execute(sql`
    INSERT INTO users (username, password_hash, role)
    VALUES ('Kate.Smith', 'h', 'USER'), ('bob', 'h', 'ADMIN')`);

  expect((await migrate(db)).ours).toEqual(MIGRATIONS.slice(2).map((m) => m.version));

  const rows = await rowsOf<{ username: string; canonical_username: string }>(
    db,
    sql`SELECT username, canonical_username FROM users ORDER BY username`,
  );
  expect(rows).toEqual([
    { username: 'Kate.Smith', canonical_username: 'kate.smith' },
    { username: 'bob', canonical_username: 'bob' },
  ]);
  const users = new SqlUserStore(db);
  const kate = await users.findByCanonicalUsername(canonicalUsername('\uFF2Bate.smith')!);
  expect(kate?.username).toBe('Kate.Smith');
  await expect(
    users.create({
      username: 'KATE.SMITH',
      canonicalUsername: canonicalUsername('KATE.SMITH')!,
      passwordHash: 'h',
      role: 'USER',
    }),
  ).rejects.toBeInstanceOf(DuplicateUsername);
});
