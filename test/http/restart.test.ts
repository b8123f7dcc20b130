/**
 * Sessions survive a restart of the server on the same data (docs/API.md, "Configuration":
 * DATA_DIR, JWT_SECRET "generated and kept in DATA_DIR outside production"): live tokens keep
 * working, and tokens of sessions that ended before the restart stay refused.
 *
 * On the embedded project the data is an embedded database in a temporary DATA_DIR; on the
 * postgres+redis project it is one PostgreSQL database and Redis prefix shared by both starts.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { firstError, startTestServer, type TestServer, type TokenPair } from '../support/harness';
import { createTestBackend, postgresBackendEnabled, type TestBackend } from '../support/postgres';

// A fresh embedded database on disk takes several seconds, and this file starts four servers.
jest.setTimeout(120_000);

const REVOKED = { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' };

let dataDir: string;
let backend: TestBackend | undefined;
beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'graphql-auth-restart-'));
  backend = postgresBackendEnabled() ? await createTestBackend() : undefined;
});
afterEach(async () => {
  await backend?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The environment of a server whose data outlives it; DATABASE_URL '' counts as unset. */
function persistentEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: '', ...backend?.env, DATA_DIR: dataDir, ...extra };
}

const me = (server: TestServer, token: string) =>
  server.gql<{ me: { username: string } }>('{ me { username } }', { token });
const refresh = (server: TestServer, refreshToken: string) =>
  server.gql<{ refresh: TokenPair }>(
    'mutation ($r: String!) { refresh(refreshToken: $r) { accessToken refreshToken } }',
    { variables: { r: refreshToken } },
  );

/** Starts, logs in twice, logs one session out, stops, and starts again on the same data. */
async function restartWithSessions(env: Record<string, string>) {
  const first = await startTestServer(env);
  let live: TokenPair;
  let ended: TokenPair;
  try {
    live = await first.login('bob', 'password456');
    ended = await first.login('bob', 'password456');
    const logout = await first.gql('mutation { logout }', { token: ended.accessToken });
    expect(logout.data).toEqual({ logout: true });
  } finally {
    await first.close();
  }
  const second = await startTestServer(env);
  return { server: second, live, ended };
}

async function expectSessionsSurvived(
  server: TestServer,
  live: TokenPair,
  ended: TokenPair,
): Promise<void> {
  expect((await me(server, live.accessToken)).data).toEqual({ me: { username: 'bob' } });
  expect(firstError(await me(server, ended.accessToken))).toEqual(REVOKED);

  const next = await refresh(server, live.refreshToken);
  expect(next.errors).toBeUndefined();
  expect((await me(server, next.data!.refresh.accessToken)).data).toEqual({
    me: { username: 'bob' },
  });
  expect(firstError(await refresh(server, ended.refreshToken))).toEqual(REVOKED);
}

describe('a restart on the same data', () => {
  it('keeps live sessions working and ended ones refused, with a configured JWT_SECRET', async () => {
    const { server, live, ended } = await restartWithSessions(persistentEnv());
    try {
      await expectSessionsSurvived(server, live, ended);
    } finally {
      await server.close();
    }
  });

  it('keeps them with a generated secret too: it is kept in DATA_DIR, readable by the owner only', async () => {
    const { server, live, ended } = await restartWithSessions(persistentEnv({ JWT_SECRET: '' }));
    try {
      await expectSessionsSurvived(server, live, ended);
      const fresh = await server.login('bob', 'password456');
      const kid = (token: string) => jwt.decode(token, { complete: true })?.header.kid;
      expect(kid(fresh.accessToken)).toBe(kid(live.accessToken));
      expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    } finally {
      await server.close();
    }
  });

  it('refuses them on a server with another generated secret: TOKEN_INVALID', async () => {
    // memory:// keeps a generated secret in memory only: each start has its own.
    const first = await startTestServer({ JWT_SECRET: '', DATA_DIR: join(dataDir, 'a') });
    const { accessToken } = await first.login('bob', 'password456').finally(() => first.close());
    const other = await startTestServer({ JWT_SECRET: '', DATA_DIR: join(dataDir, 'b') });
    try {
      expect(firstError(await me(other, accessToken))).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_INVALID',
      });
    } finally {
      await other.close();
    }
  });
});
