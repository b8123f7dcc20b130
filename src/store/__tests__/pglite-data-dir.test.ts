/**
 * The template as a package holds it: npm pack keeps no empty directories, so the build marks
 * them, and the copy into DATA_DIR makes them again without the marks.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_DIRECTORY_MARKER, prepareDataDir } from '../pglite-data-dir';
import { markEmptyDirectories } from '../pglite-template';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'graphql-auth-template-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('keeps the empty directories of the template through a package and the copy', async () => {
  const template = join(dir, 'template');
  mkdirSync(join(template, 'pg_tblspc'), { recursive: true });
  mkdirSync(join(template, 'pg_wal', 'archive_status'), { recursive: true });
  mkdirSync(join(template, 'global'));
  writeFileSync(join(template, 'global', 'pg_filenode.map'), 'map');
  writeFileSync(join(template, 'PG_VERSION'), '17\n');

  markEmptyDirectories(template);
  expect(readdirSync(join(template, 'pg_tblspc'))).toEqual([EMPTY_DIRECTORY_MARKER]);
  expect(readdirSync(join(template, 'pg_wal'))).toEqual(['archive_status']);
  expect(readdirSync(join(template, 'global'))).toEqual(['pg_filenode.map']);

  const data = join(dir, 'data');
  await prepareDataDir(data, template);
  expect(readdirSync(join(data, 'pg_tblspc'))).toEqual([]);
  expect(readdirSync(join(data, 'pg_wal', 'archive_status'))).toEqual([]);
  expect(existsSync(join(data, 'global', 'pg_filenode.map'))).toBe(true);
  expect(existsSync(join(data, 'PG_VERSION'))).toBe(true);
});
