/**
 * What the operational endpoints tell, and to whom (docs/API.md, "HTTP endpoints"): no web page
 * of another origin may read /metrics, /healthz or /readyz; in production /metrics needs
 * METRICS_TOKEN unless METRICS_PUBLIC=true; /readyz names what is not ready with stable names
 * and keeps the details in the log.
 */
import { Writable } from 'node:stream';
import { jsonLogger } from '../../src/logger';
import { startTestServer, type TestServer } from '../support/harness';

const ORIGIN = 'https://evil.example';
const PRODUCTION = { NODE_ENV: 'production', BOOTSTRAP_ADMIN_USERNAME: 'root' };
const PASSWORD = { BOOTSTRAP_ADMIN_PASSWORD: 'a long enough passphrase' };

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});
async function start(env: Record<string, string>, logs?: string[]) {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs?.push(chunk.toString('utf8'));
      done();
    },
  });
  const server = await startTestServer(env, {
    logger: jsonLogger({ level: 'info', destination }),
  });
  servers.push(server);
  return server;
}

describe.each([
  ['development', {}],
  ['production', { ...PRODUCTION, ...PASSWORD, METRICS_PUBLIC: 'true' }],
  ['cookie mode', { AUTH_COOKIE: 'true', CORS_ORIGINS: ORIGIN }],
])('in %s', (_mode, env: Record<string, string>) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(env);
  });
  afterAll(() => server.close());

  it.each(['/metrics', '/healthz', '/readyz'])('%s grants no origin CORS', async (path) => {
    const response = await fetch(`${server.url}${path}`, { headers: { origin: ORIGIN } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('/graphql keeps its CORS grant', async () => {
    const response = await fetch(`${server.url}/graphql?query=%7BpublicMessage%7D`, {
      headers: { origin: ORIGIN, 'apollo-require-preflight': 'true' },
    });
    expect(response.headers.get('access-control-allow-origin')).toMatch(/^(\*|https:\/\/evil)/);
  });
});

describe('/metrics in production', () => {
  it('is refused without METRICS_TOKEN', async () => {
    const server = await start({ ...PRODUCTION, ...PASSWORD });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(403);
    expect(await response.text()).not.toMatch(/auth_logins_total|nodejs_version_info/);
  });

  it('needs the token when METRICS_TOKEN is set', async () => {
    const server = await start({
      ...PRODUCTION,
      ...PASSWORD,
      METRICS_TOKEN: 'a-metrics-token-0123',
    });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${server.url}/metrics`, {
      headers: { authorization: 'Bearer a-metrics-token-0123' },
    });
    expect(scraped.status).toBe(200);
  });

  it('is open with METRICS_PUBLIC=true', async () => {
    const server = await start({ ...PRODUCTION, ...PASSWORD, METRICS_PUBLIC: 'true' });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/auth_logins_total/);
  });
});

describe('/readyz', () => {
  it('names the part that is not ready, and logs the details', async () => {
    const logs: string[] = [];
    const server = await start({}, logs);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' });

    // The database goes away under the running server (which then cannot close it again).
    servers = [];
    await server.app.services.database.close();
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      status: 'unavailable',
      reason: 'database',
      reasons: ['database'],
    });
    expect(logs.join('')).toMatch(/"msg":"not ready"/);
    expect(logs.join('')).toMatch(/"check":"database"/);
    await server.close().catch(() => undefined);
  });
});
