/** Two instances behind one load balancer share PostgreSQL and Redis. */
import { performance } from 'node:perf_hooks';
import { firstError, startTestServer, type TestServer } from '../support/harness';
import { createTestBackend, type TestBackend } from '../support/postgres';

const ME = '{ me { username } }';
let backend: TestBackend;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  backend = await createTestBackend();
  [a, b] = [await startTestServer(backend.env), await startTestServer(backend.env)];
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await backend?.drop();
});

describe('two instances on one PostgreSQL and Redis', () => {
  it('share sessions: a token from one works on the other, and refresh works across them', async () => {
    const pair = await a.login('bob', 'password456');
    expect((await b.gql(ME, { token: pair.accessToken })).data).toEqual({
      me: { username: 'bob' },
    });
    const refreshed = await b.gql<{ refresh: { accessToken: string } }>(
      'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }',
      { variables: { t: pair.refreshToken } },
    );
    expect(refreshed.data?.refresh.accessToken).toEqual(expect.any(String));
  });

  it('refuses on the other instance, within 100 ms, a token logged out on one', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { accessToken } = await a.login('bob', 'password456');
      expect((await b.gql(ME, { token: accessToken })).data).toBeTruthy();
      const loggedOut = a.gql('mutation { logout }', { token: accessToken });
      await loggedOut;
      const start = performance.now();
      let reason: unknown;
      while (performance.now() - start < 1000) {
        reason = firstError(await b.gql(ME, { token: accessToken }))?.reason;
        if (reason === 'TOKEN_REVOKED') break;
      }
      samples.push(performance.now() - start);
      expect(reason).toBe('TOKEN_REVOKED');
    }
    const worst = Math.max(...samples);
    console.log(
      `revocation propagation after logout returned: worst ${worst.toFixed(1)} ms of ${samples.length}`,
    );
    expect(worst).toBeLessThan(100);
  });

  it('keeps every session and revocation across a restart', async () => {
    const live = await a.login('bob', 'password456');
    const ended = await a.login('bob', 'password456');
    await a.gql('mutation { logout }', { token: ended.accessToken });
    await a.close();
    a = await startTestServer(backend.env);
    expect((await a.gql(ME, { token: live.accessToken })).data).toEqual({
      me: { username: 'bob' },
    });
    expect(firstError(await a.gql(ME, { token: ended.accessToken }))?.reason).toBe('TOKEN_REVOKED');
    const refreshed = await a.gql(
      'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }',
      {
        variables: { t: live.refreshToken },
      },
    );
    expect(refreshed.errors).toBeUndefined();
  });
});
