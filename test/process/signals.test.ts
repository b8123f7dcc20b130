/**
 * Ctrl-C and SIGTERM stop the built server in every mode users run it in (docs/API.md,
 * "Running it"): an idle server exits 0 within 2 s; requests in flight complete first, within
 * the grace period plus 1 s; a second signal exits at once with a non-zero status.
 *
 * Apollo's own signal handlers once re-raised the signal after stopping, our handler ignored
 * it, and the process never exited: only a real process, spawned and signalled, shows that.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestBackend, type TestBackend } from '../support/postgres';
import { MAIN, post, spawnServer, TEST_SECRET } from '../support/process';

jest.setTimeout(120_000);

const IDLE_EXIT_MS = 2000;
const GRACE_MS = 10_000;
const LOGIN = 'mutation { login(username: "alice", password: "secret123") { accessToken } }';
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: TEST_SECRET,
  BOOTSTRAP_ADMIN_USERNAME: 'alice',
  BOOTSTRAP_ADMIN_PASSWORD: 'secret123',
};

const services = Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL);
const withServices = services ? describe : describe.skip;

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'graphql-auth-signals-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts the server, makes one request, signals it, and checks the exit. */
async function expectIdleExit(env: Record<string, string>, signal: NodeJS.Signals) {
  const server = await spawnServer(env);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  const exit = await server.stop(signal);
  expect({ code: exit.code, fast: exit.ms <= IDLE_EXIT_MS }).toEqual({ code: 0, fast: true });
}

describe.each([
  ['development', {}],
  ['production', PRODUCTION],
])('an idle %s server', (_mode, modeEnv: Record<string, string>) => {
  it('exits 0 within 2 s of SIGTERM on a fresh embedded directory, and of SIGINT on reopening it', async () => {
    const env = { ...modeEnv, DATA_DIR: dataDir };
    await expectIdleExit(env, 'SIGTERM');
    await expectIdleExit(env, 'SIGINT');
  });

  it('exits 0 within 2 s on memory://', async () => {
    await expectIdleExit({ ...modeEnv, DATABASE_URL: 'memory://' }, 'SIGINT');
  });
});

withServices('an idle server on PostgreSQL', () => {
  let backend: TestBackend;
  beforeEach(async () => {
    backend = await createTestBackend();
  });
  afterEach(() => backend.drop());

  it.each([
    ['development', {}],
    ['production', PRODUCTION],
  ])('exits 0 within 2 s in %s, with and without Redis', async (_mode, modeEnv) => {
    const { DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX } = backend.env;
    const env = { ...modeEnv, JWT_SECRET: TEST_SECRET, DATABASE_URL: DATABASE_URL! };
    await expectIdleExit(env, 'SIGTERM');
    await expectIdleExit(
      { ...env, REDIS_URL: REDIS_URL!, REDIS_KEY_PREFIX: REDIS_KEY_PREFIX! },
      'SIGINT',
    );
  });
});

describe('a signal while the server starts', () => {
  it('stops it cleanly once started, and the data directory opens again', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('"msg":"starting"')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).not.toContain('"msg":"listening"');
    await expectIdleExit({ DATA_DIR: dataDir }, 'SIGTERM');
  });
});

describe('a server with a request in flight', () => {
  // Cost 13: a login hashes for about half a second, long enough to signal in the middle.
  const env = () => ({ DATABASE_URL: 'memory://', BCRYPT_COST: '13' });

  it('lets the login finish, then exits 0 within the grace period plus 1 s', async () => {
    const server = await spawnServer(env());
    const login = post(server.url, LOGIN);
    await sleep(150);
    const exit = server.stop('SIGTERM');
    const answer = await login;
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ login: { accessToken: expect.any(String) } });
    const { code, ms } = await exit;
    expect({ code, inTime: ms <= GRACE_MS + 1000 }).toEqual({ code: 0, inTime: true });
  });

  it('exits at once, killed by the second signal, without waiting for the request', async () => {
    const server = await spawnServer(env());
    // A body that keeps coming: a graceful stop would wait for it up to the grace period.
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{',
    );
    const trickle = setInterval(() => socket.write(' '), 100);
    try {
      await sleep(200);
      server.child.kill('SIGTERM');
      await sleep(200);
      expect(server.child.exitCode).toBeNull(); // still draining
      const second = await server.stop('SIGINT');
      // Killed by the signal: a shell reports 130.
      expect({ code: second.code, signal: second.signal }).toEqual({
        code: null,
        signal: 'SIGINT',
      });
      expect(second.ms).toBeLessThan(2000);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });
});
