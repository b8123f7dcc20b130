/** Migrations are versioned and safe when several instances start on an empty database at once. */
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../src/store/database';
import { migrate, MIGRATIONS } from '../../src/store/migrations';
import { createTestDatabase } from '../support/postgres';

it('applies each migration exactly once when two instances migrate an empty database at once', async () => {
  const database = await createTestDatabase();
  const [one, two] = await Promise.all([
    openDatabase({ kind: 'postgres', url: database.url }),
    openDatabase({ kind: 'postgres', url: database.url }),
  ]);
  try {
    const ran = await Promise.all([migrate(one.db), migrate(two.db)]);
    expect(ran.flatMap((r) => r.ours).sort()).toEqual(MIGRATIONS.map((m) => m.version));
    const rows = await one.db.execute(sql`SELECT count(*)::int AS n FROM schema_migrations`);
    expect(JSON.stringify(rows)).toContain(`"n":${MIGRATIONS.length}`);
    expect(await migrate(one.db)).toEqual({ ours: [], app: [] });
  } finally {
    await Promise.all([one.close(), two.close()]);
    await database.drop();
  }
});
