/** With Redis, failed logins are counted once for every instance together. */
import { firstError, startTestServer, type TestServer } from '../support/harness';
import { createTestBackend, type TestBackend } from '../support/postgres';

let backend: TestBackend;
let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  backend = await createTestBackend();
  const env = { ...backend.env, LOGIN_MAX_FAILURES: '3' };
  [a, b] = [await startTestServer(env), await startTestServer(env)];
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await backend?.drop();
});

const LOGIN =
  'mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }';

it('shares the failure count between instances: alternating them does not dodge the limit', async () => {
  const attempt = (server: TestServer) =>
    server.gql(LOGIN, { variables: { u: 'alice', p: 'wrong-password' } });
  for (const server of [a, b, a]) {
    expect(firstError(await attempt(server))).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
  }
  const limited = await attempt(b);
  expect(firstError(limited)).toMatchObject({
    code: 'RATE_LIMITED',
    retryAfter: expect.any(Number),
  });
});
