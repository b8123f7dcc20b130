import { startTestServer, type TestServer } from '../support/harness';

const TOKEN = 'metrics-token-0123456789';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ METRICS_TOKEN: TOKEN, REFRESH_REUSE_INTERVAL: '0' });
});
afterAll(() => server.close());

async function scrape(token?: string): Promise<Response> {
  return fetch(`${server.url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

describe('GET /metrics', () => {
  it('needs METRICS_TOKEN when it is set', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape('wrong-token-0123456789')).status).toBe(401);
    expect((await scrape(TOKEN)).status).toBe(200);
  });

  it('counts logins, refreshes, reuse, revocations and guard denials, with latency and bcrypt depth', async () => {
    await server.gql('{ me { id } }');
    await server.gql(
      'mutation { login(username: "bob", password: "wrong-password") { accessToken } }',
    );
    const pair = await server.login('bob', 'password456');
    const refresh = 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }';
    await server.gql(refresh, { variables: { t: pair.refreshToken } });
    await server.gql(refresh, { variables: { t: pair.refreshToken } }); // reuse
    const bob = await server.login('bob', 'password456');
    await server.gql('{ adminDashboard { message } }', { token: bob.accessToken });
    await server.gql('mutation { logout }', { token: bob.accessToken });

    const res = await scrape(TOKEN);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/auth_logins_total\{outcome="success"\} 2/);
    expect(text).toMatch(/auth_logins_total\{outcome="failure"\} 1/);
    expect(text).toMatch(/auth_refreshes_total\{outcome="success"\} 1/);
    expect(text).toMatch(/auth_refreshes_total\{outcome="reuse_detected"\} 1/);
    expect(text).toMatch(/auth_sessions_revoked_total [2-9]/);
    expect(text).toMatch(/auth_guard_denials_total\{field="Query.me",reason="TOKEN_MISSING"\} 1/);
    expect(text).toMatch(
      /auth_guard_denials_total\{field="Query.adminDashboard",reason="FORBIDDEN"\} 1/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="[0-9.]+",route="\/graphql",status="200"\}/,
    );
    expect(text).toMatch(/auth_bcrypt_queue_depth 0/);
    expect(text).not.toContain(pair.accessToken);
  });

  it('answers 404, not a crash, for paths named like object properties', async () => {
    for (const path of ['/constructor', '/__proto__', '/toString']) {
      expect((await fetch(`${server.url}${path}`)).status).toBe(404);
    }
  });
});
