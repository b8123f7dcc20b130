/**
 * Faults survived: Redis stopped and started again (a Redis of our own on another port), and
 * PostgreSQL connections lost (pg_terminate_backend) or unreachable (a proxy we cut).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { firstError, startTestServer, type TestServer } from '../support/harness';
import { createTestDatabase } from '../support/postgres';
import { startTcpProxy } from '../support/tcp-proxy';

jest.setTimeout(60_000);
const ME = '{ me { username } }';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startRedis(port: number): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function readyStatus(server: TestServer): Promise<number> {
  return (await fetch(`${server.url}/readyz`)).status;
}

/** /readyz's answer: stable reason names, never the store's own error text. */
async function readyBody(server: TestServer): Promise<unknown> {
  return (await fetch(`${server.url}/readyz`)).json();
}

describe('Redis going away and coming back', () => {
  let redis: ChildProcess;
  let port: number;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    port = await freePort();
    redis = startRedis(port);
    database = await createTestDatabase();
    const env = { DATABASE_URL: database.url, REDIS_URL: `redis://127.0.0.1:${port}` };
    await until('redis', async () => {
      try {
        a = await startTestServer(env);
        return true;
      } catch {
        return false;
      }
    });
    b = await startTestServer(env);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    redis?.kill('SIGKILL');
    await database?.drop();
  });

  it('fails closed while Redis is down, keeps public fields, says 503, and recovers by itself', async () => {
    const pair = await a.login('bob', 'password456');
    const other = await a.login('bob', 'password456');
    redis.kill('SIGKILL');
    await until('a to notice', async () => (await readyStatus(a)) === 503);
    expect(await readyBody(a)).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/^(redis|revocations)$/),
      reasons: expect.arrayContaining(['redis']),
    });

    const guarded = await a.gql(ME, { token: pair.accessToken });
    expect(guarded.status).toBe(200);
    expect(firstError(guarded)).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect((await a.gql('{ publicMessage }')).data).toEqual({ publicMessage: expect.any(String) });

    // Logged out while Redis is away: the database keeps it, and b learns it on resync.
    const logout = await a.gql('mutation { logout }', { token: other.accessToken });
    expect(logout.errors).toBeUndefined();
    expect(logout.data).toEqual({ logout: true });

    redis = startRedis(port);
    const recovery = await until(
      'recovery',
      async () => (await readyStatus(b)) === 200 && (await readyStatus(a)) === 200,
    );
    console.log(`recovered ${recovery} ms after Redis was started again`);
    expect((await b.gql(ME, { token: pair.accessToken })).data).toEqual({
      me: { username: 'bob' },
    });
    expect(firstError(await b.gql(ME, { token: other.accessToken }))?.reason).toBe('TOKEN_REVOKED');
  });
});

describe('PostgreSQL connections lost', () => {
  it('survives pg_terminate_backend: the next requests work on fresh connections', async () => {
    const server = await startTestServer();
    try {
      const before = await server.login('bob', 'password456');
      const url = new URL(process.env.TEST_DATABASE_URL!);
      const admin = new Client({ connectionString: url.toString() });
      await admin.connect();
      const { rows } = await admin.query<{ name: string }>(
        `SELECT datname AS name FROM pg_stat_activity WHERE datname LIKE 'auth_test_${process.pid}_%' LIMIT 1`,
      );
      const killed = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [rows[0]!.name],
      );
      await admin.end();
      expect(killed.rowCount).toBeGreaterThan(0);
      await until('a working login', async () => {
        const res = await server.gql(
          'mutation { login(username: "bob", password: "password456") { accessToken } }',
        );
        return res.errors === undefined;
      });
      expect((await server.gql(ME, { token: before.accessToken })).data).toEqual({
        me: { username: 'bob' },
      });
    } finally {
      await server.close();
    }
  });

  it('answers SERVICE_UNAVAILABLE while PostgreSQL is unreachable, stays up, and recovers', async () => {
    const database = await createTestDatabase();
    const target = new URL(database.url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const server = await startTestServer({
      DATABASE_URL: viaProxy.toString(),
      REDIS_URL: process.env.TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `faults:${proxy.port}:`,
    });
    try {
      const bob = await server.login('bob', 'password456');
      proxy.cut();
      // Past the user cache's minute, so the guard must read bob from the database: it fails
      // closed, in the body, for a guarded mutation as for a query (never an HTTP 500).
      server.clock.advance(120);
      for (const query of [
        '{ me { username } }',
        'mutation { changePassword(currentPassword: "password456", newPassword: "another-one-1") }',
      ]) {
        const guarded = await server.gql(query, { token: bob.accessToken });
        expect({ query, status: guarded.status, error: firstError(guarded) }).toEqual({
          query,
          status: 200,
          error: { code: 'SERVICE_UNAVAILABLE' },
        });
      }
      const login = await server.gql(
        'mutation { login(username: "bob", password: "password456") { accessToken } }',
      );
      expect(login.status).toBe(200);
      expect(firstError(login)).toEqual({ code: 'SERVICE_UNAVAILABLE' });
      expect(await readyBody(server)).toEqual({
        status: 'unavailable',
        reason: 'database',
        reasons: ['database'],
      });
      expect((await server.gql('{ publicMessage }')).data).toEqual({
        publicMessage: expect.any(String),
      });

      proxy.restore();
      await until('login again', async () => {
        const res = await server.gql(
          'mutation { login(username: "bob", password: "password456") { accessToken } }',
        );
        return res.errors === undefined;
      });
      expect(await readyStatus(server)).toBe(200);
    } finally {
      await server.close();
      await proxy.close();
      await database.drop();
    }
  });
});
