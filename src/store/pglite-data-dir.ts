/**
 * Gives the long-lived process a PGlite data directory it only has to reopen (docs/ARCHITECTURE.md,
 * "The embedded database"): a copy of the build's migrated template, or else one made by a
 * short-lived child process (pglite-template.ts), so that initdb's memory dies with the child.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, cpSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Made by `npm run build` beside the compiled code: dist/pgdata-template. */
const BUILT_TEMPLATE = join(__dirname, '..', 'pgdata-template');

/**
 * In each empty directory of the template (pglite-template.ts): a package keeps no empty
 * directories (npm pack drops them), and PostgreSQL does not start without its own (pg_tblspc,
 * pg_notify, ...). The copy leaves the file out and keeps the directory.
 */
export const EMPTY_DIRECTORY_MARKER = '.empty-directory';

/** A cleanly closed data directory always has PG_VERSION; PGlite resumes one that has it. */
const MARKER = 'PG_VERSION';

/** `template` is for tests: the build's own. */
export async function prepareDataDir(dir: string, template = BUILT_TEMPLATE): Promise<void> {
  if (existsSync(join(dir, MARKER))) return;
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(template, MARKER))) {
    // Over whatever a cut-short copy left (and beside a lock file, if one lives here); PG_VERSION
    // last, so that a copy cut short is not taken for a database at the next start.
    const marker = join(template, MARKER);
    cpSync(template, dir, {
      recursive: true,
      filter: (source) => source !== marker && basename(source) !== EMPTY_DIRECTORY_MARKER,
    });
    copyFileSync(marker, join(dir, MARKER));
    return;
  }
  await initInChild(dir);
}

async function initInChild(dir: string): Promise<void> {
  // From source (npm run dev, the tests) this is the .ts file, which the child reads with tsx.
  const module = require.resolve('./pglite-template');
  const execArgv = module.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = fork(module, [dir], { stdio: 'pipe', execArgv });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0)
    throw new Error(`creating the embedded database in ${dir} failed: ${stderr.trim()}`);
}
