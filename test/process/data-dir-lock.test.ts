/**
 * One process per embedded data directory (docs/API.md, "Running it"): a second server or the
 * admin command line on the DATA_DIR of a running server exits 1 at once and says who holds
 * it; a killed server's lock is taken over by the next start, with no manual cleanup; of two
 * servers started together on a stale lock, exactly one runs.
 *
 * Without the lock, the admin command line's `deactivate` printed success on its own copy of
 * the database and the running server never saw it; after a restart everything the server
 * wrote since was gone.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit, spawnServer, type ServerProcess } from '../support/process';

jest.setTimeout(120_000);

const ADMIN = join(__dirname, '..', '..', 'dist', 'cli', 'admin.js');

let dataDir: string;
let running: ServerProcess[] = [];
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'graphql-auth-lock-'));
});
afterEach(async () => {
  await Promise.all(running.map((server) => server.stop('SIGKILL')));
  running = [];
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  const server = await spawnServer({ DATA_DIR: dataDir });
  running.push(server);
  return server;
}

const lockFile = () => join(dataDir, 'server.lock');

it('refuses a second server on the directory at once, naming it and the holder', async () => {
  const first = await start();
  const second = await runToExit({ DATA_DIR: dataDir });
  expect(second.code).toBe(1);
  expect(second.ms).toBeLessThan(10_000);
  const lines = second.output.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(dataDir);
  expect(lines[0]).toContain(`PID ${first.child.pid}`);
  // The first one is untouched.
  expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
});

it('refuses the admin command line while the server runs, and says how to do it instead', async () => {
  const server = await start();
  const admin = await runToExit(
    { DATA_DIR: dataDir },
    { script: ADMIN, args: ['deactivate', 'bob'] },
  );
  expect(admin.code).toBe(1);
  expect(admin.output).toContain(`PID ${server.child.pid}`);
  expect(admin.output).toContain('setUserActive');
  expect(admin.output).not.toMatch(/Deactivated/);
});

it('removes the lock on a clean stop, and the admin command line then works', async () => {
  const server = await start();
  expect(existsSync(lockFile())).toBe(true);
  const exit = await server.stop('SIGTERM');
  expect({
    code: exit.code,
    signal: exit.signal,
    output: exit.code === 0 ? '' : server.output(),
  }).toEqual({
    code: 0,
    signal: null,
    output: '',
  });
  running = [];
  expect(existsSync(lockFile())).toBe(false);
  const admin = await runToExit(
    { DATA_DIR: dataDir },
    { script: ADMIN, args: ['deactivate', 'bob'] },
  );
  expect(admin.output).toContain('Deactivated "bob"');
  expect(admin.code).toBe(0);
});

it('takes over the lock of a killed server', async () => {
  const killed = await start();
  await killed.stop('SIGKILL');
  running = [];
  expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: killed.child.pid });
  const next = await start();
  expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: next.child.pid });
});

it('lets exactly one of two servers started together take a stale lock', async () => {
  // A lock left by a process that is gone, without its start time.
  await start().then((server) => server.stop('SIGKILL'));
  running = [];
  const stalePid = JSON.parse(readFileSync(lockFile(), 'utf8')).pid as number;
  writeFileSync(lockFile(), JSON.stringify({ pid: stalePid }));

  const results = await Promise.allSettled([start(), start()]);
  const listening = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r) => r.status === 'rejected');
  expect({ listening: listening.length, refused: refused.length }).toEqual({
    listening: 1,
    refused: 1,
  });
  expect(String((refused[0] as PromiseRejectedResult).reason)).toContain(
    'is in use by another process',
  );
});
