/**
 * Makes a fresh, migrated PGlite data directory, in a process of its own.
 *
 *   node dist/store/pglite-template.js <dir>
 *
 * initdb is the embedded database's peak: it runs a second PGlite instance beside the first
 * (640–860 MB RSS), and WASM memory never shrinks. So the long-lived server never runs it: the
 * build makes dist/pgdata-template with this (copied into a fresh DATA_DIR at first start), and
 * where there is no build (`npm run dev`) the server runs this as a short-lived child for its
 * directory. The caller owns the directory (it holds the data directory's lock); this takes no
 * lock of its own.
 */
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database } from './database';
import { migrate } from './migrations';
import { PGLITE_CONF } from './pglite-conf';
import { EMPTY_DIRECTORY_MARKER } from './pglite-data-dir';

/** initdb into `dir` (absent or empty), then the migrations; closed cleanly. */
export async function makeDataDir(dir: string): Promise<void> {
  const client = new PGlite({ dataDir: dir, postgresqlconf: [...PGLITE_CONF] });
  try {
    await client.waitReady;
    await migrate(drizzle({ client }) as unknown as Database);
  } finally {
    await client.close();
  }
}

/** The build's copy: made beside `dir`, then renamed into place, so it is whole or absent. */
export async function makeTemplate(dir: string): Promise<void> {
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  await makeDataDir(partial);
  markEmptyDirectories(partial);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
}

/** So that the template survives a package (see EMPTY_DIRECTORY_MARKER). */
export function markEmptyDirectories(dir: string): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  if (entries.length === 0) writeFileSync(join(dir, EMPTY_DIRECTORY_MARKER), '');
  for (const entry of entries) {
    if (entry.isDirectory()) markEmptyDirectories(join(dir, entry.name));
  }
}

if (require.main === module) {
  const [dir] = process.argv.slice(2);
  const build = process.argv.includes('--template');
  if (!dir) {
    process.stderr.write('usage: pglite-template <dir> [--template]\n');
    process.exit(2);
  }
  (build ? makeTemplate(dir) : makeDataDir(dir)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
