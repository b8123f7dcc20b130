/** Two instances behind one load balancer share PostgreSQL and Redis. */
import { performance } from 'node:perf_hooks';
import jwt from 'jsonwebtoken';
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

  it('refuses on the other instance, within 100 ms (median), a token logged out on one', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { accessToken } = await a.login('bob', 'password456');
      expect((await b.gql(ME, { token: accessToken })).data).toBeTruthy();
      const sid = (jwt.decode(accessToken) as { sid: string }).sid;
      // Measured where it matters: when b's in-process revocation list learns of it. Polled
      // from the moment a's logout request is sent, so HTTP latency counts against us.
      const start = performance.now();
      const loggedOut = a.gql('mutation { logout }', { token: accessToken });
      const nowSeconds = () => Math.floor(Date.now() / 1000);
      while (!b.app.services.deps.revocations.isRevoked(sid, nowSeconds())) {
        if (performance.now() - start > 2000) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      samples.push(performance.now() - start);
      await loggedOut;
      expect(firstError(await b.gql(ME, { token: accessToken }))?.reason).toBe('TOKEN_REVOKED');
    }
    console.log(
      `revocation propagation (logout sent on a → known on b): ${samples.map((s) => s.toFixed(1)).join(', ')} ms`,
    );
    // Redis carries it in milliseconds; polling PostgreSQL would take about a second. The
    // median tells the two apart on a busy machine too, where one sample may wait its turn.
    const sorted = [...samples].sort((x, y) => x - y);
    expect(sorted[2]).toBeLessThan(100);
    expect(sorted[4]).toBeLessThan(1000);
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
