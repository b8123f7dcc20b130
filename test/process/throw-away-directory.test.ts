/**
 * memory:// is a throw-away directory in the temp folder (docs/ARCHITECTURE.md, "The embedded
 * database"): it is gone after a clean stop, and also when the process exits without closing it.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit, spawnServer } from '../support/process';

jest.setTimeout(60_000);

const DATABASE = join(__dirname, '..', '..', 'dist', 'store', 'database.js');

let temp: string;
beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), 'graphql-auth-tmpdir-'));
});
afterEach(() => rmSync(temp, { recursive: true, force: true }));

it('is removed when the server stops', async () => {
  const server = await spawnServer({ DATABASE_URL: 'memory://', TMPDIR: temp });
  expect(readdirSync(temp).filter((name) => name.startsWith('graphql-auth-memory-'))).toHaveLength(
    1,
  );
  expect((await server.stop('SIGTERM')).code).toBe(0);
  expect(readdirSync(temp)).toEqual([]);
});

it('is removed when the process exits without closing the database', async () => {
  const script = `require(${JSON.stringify(DATABASE)}).openDatabase({ kind: 'memory' }).then(() => process.exit(0))`;
  const exit = await runToExit({ TMPDIR: temp }, { script: '-e', args: [script] });
  expect({ code: exit.code, output: exit.output }).toEqual({ code: 0, output: '' });
  expect(readdirSync(temp)).toEqual([]);
});
