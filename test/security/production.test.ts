/**
 * NODE_ENV=production (docs/SECURITY.md, "Production mode"): no Sandbox, no introspection, no
 * "Did you mean", internal errors masked and logged with the request id, CSRF prevention,
 * security headers, and no start with a weak JWT_SECRET.
 */
import { ConfigError, loadConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import { startTestServer, type TestServer } from '../support/harness';
import { START_TIMEOUT_MS, firstCode, postGraphQL, rawRequest } from './support';

const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
const capture: Logger = {
  debug: (message, fields = {}) => void logged.push({ level: 'debug', message, fields }),
  info: (message, fields = {}) => void logged.push({ level: 'info', message, fields }),
  warn: (message, fields = {}) => void logged.push({ level: 'warn', message, fields }),
  error: (message, fields = {}) => void logged.push({ level: 'error', message, fields }),
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(
    {
      NODE_ENV: 'production',
      BOOTSTRAP_ADMIN_USERNAME: 'root',
      BOOTSTRAP_ADMIN_PASSWORD: 'a long admin passphrase',
    },
    { logger: capture },
  );
}, START_TIMEOUT_MS);
afterAll(() => server?.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('production refuses to start with a weak JWT_SECRET', () => {
  it.each([
    ['missing', undefined],
    ['short (31 bytes)', 'abcdefghijklmnopqrstuvwxyz01234'],
    ['a known weak value', 'your-secret-key'.repeat(3)],
    ['one word repeated', 'changeme'.repeat(4)],
    ['low entropy', '0123'.repeat(10)],
  ])('%s', (_name, secret) => {
    const env = { NODE_ENV: 'production', ...(secret === undefined ? {} : { JWT_SECRET: secret }) };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/^JWT_SECRET: /);
  });
});

describe('no Sandbox, no introspection, no suggestions', () => {
  it('serves no landing page to a browser', async () => {
    const res = await rawRequest(server.url, { method: 'GET', headers: { accept: 'text/html' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).not.toMatch(/html/);
    expect(res.text).not.toMatch(/sandbox|<script/i);
  });

  it.each([
    '{ __schema { types { name } } }',
    '{ __type(name: "User") { fields { name } } }',
    'query { ... on Query { __schema { queryType { name } } } }',
    'query { ...F } fragment F on Query { __type(name: "Mutation") { name } }',
  ])('refuses introspection: %s', async (query) => {
    const res = await postGraphQL(server.url, query);
    expect(res.status).toBe(400);
    expect(res.json?.data).toBeUndefined();
    expect(firstCode(res)?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.json?.errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('still answers __typename', async () => {
    const res = await postGraphQL(server.url, '{ __typename }');
    expect(res.json?.data).toEqual({ __typename: 'Query' });
  });

  it.each([
    '{ mee { id } }',
    '{ publicMesage }',
    'mutation { logn(username: "a", password: "b") { accessToken } }',
    'mutation { login(usrname: "a", password: "b") { accessToken } }',
    'mutation { login(username: "a", password: "b") { acessToken } }',
    'mutation { createUser(input: { username: "a", password: "b", role: ADMN }) { id } }',
  ])('gives no "Did you mean" for %s', async (query) => {
    const res = await postGraphQL(server.url, query);
    expect(res.status).toBe(400);
    expect(res.json?.errors?.length).toBeGreaterThan(0);
    expect(res.text).not.toMatch(/did you mean/i);
  });

  it.each([
    ['an enum value', { r: 'ADMN' }],
    ['an input field', { i: { usernam: 'carol', password: 'long enough' } }],
  ])('gives no "Did you mean" for %s in variables', async (_name, variables) => {
    const query =
      'r' in variables
        ? 'mutation ($r: Role!) { createUser(input: { username: "carol", password: "long enough", role: $r }) { id } }'
        : 'mutation ($i: CreateUserInput!) { createUser(input: $i) { id } }';
    // As the admin: the mutation guard runs before variables are coerced.
    const root = await server.login('root', 'a long admin passphrase');
    const res = await postGraphQL(server.url, query, {
      variables,
      headers: { authorization: `Bearer ${root.accessToken}` },
    });
    expect(res.status).toBe(400);
    expect(firstCode(res)?.code).toBe('BAD_USER_INPUT');
    expect(res.text).not.toMatch(/did you mean|ADMIN"|"username"/i);
  });
});

describe('persisted queries', () => {
  it('answers a hash that does not match the query with BAD_REQUEST, not a masked error', async () => {
    const res = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ publicMessage }',
        extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
      }),
    });
    expect(res.status).toBe(400);
    expect(res.json?.errors).toEqual([
      { message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } },
    ]);
  });
});

describe('internal errors', () => {
  it('are masked as INTERNAL_SERVER_ERROR, and logged with the request id', async () => {
    const leak = Object.assign(
      new Error(
        'relation "users" does not exist: SELECT id, password_hash FROM users WHERE username = $1',
      ),
      { code: '42P01' },
    );
    const login = jest.spyOn(server.app.services.sessions, 'login').mockRejectedValueOnce(leak);
    logged.length = 0;
    try {
      const res = await postGraphQL(
        server.url,
        'mutation { login(username: "root", password: "whatever") { accessToken } }',
        { headers: { 'x-request-id': 'trace-4711' } },
      );
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe('trace-4711');
      expect(res.json?.data ?? null).toBeNull();
      expect(res.json?.errors).toEqual([
        expect.objectContaining({
          message: 'Internal server error',
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        }),
      ]);
      expect(res.text).not.toMatch(/SELECT|password_hash|relation|42P01|stack|\.ts:\d/);
      const line = logged.find((l) => l.level === 'error');
      expect(line?.fields).toMatchObject({
        requestId: 'trace-4711',
        error: { message: expect.stringContaining('SELECT id, password_hash') },
      });
    } finally {
      login.mockRestore();
    }
  });

  it('masks what is thrown even when it is not an Error', async () => {
    const login = jest
      .spyOn(server.app.services.sessions, 'login')
      .mockRejectedValueOnce('SELECT 1');
    try {
      const res = await postGraphQL(
        server.url,
        'mutation { login(username: "root", password: "whatever") { accessToken } }',
      );
      expect(res.json?.errors?.[0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(res.text).not.toContain('SELECT');
    } finally {
      login.mockRestore();
    }
  });
});

describe('the request id', () => {
  it('keeps a sane incoming x-request-id and replaces anything else', async () => {
    const sane = await rawRequest(server.url, {
      method: 'GET',
      path: '/healthz',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(sane.headers['x-request-id']).toBe('abc-123');
    for (const insane of ['x'.repeat(200), 'a b', '<script>alert(1)</script>', '../etc']) {
      const res = await rawRequest(server.url, {
        method: 'GET',
        path: '/healthz',
        headers: { 'x-request-id': insane },
      });
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
  });

  it('is on every answer, generated when none came', async () => {
    for (const path of ['/graphql', '/healthz', '/nowhere']) {
      const res = await rawRequest(server.url, { method: 'GET', path });
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
  });
});

describe('CSRF prevention', () => {
  it('refuses a GET without a preflight header, and a mutation over GET in any case', async () => {
    const path = `/graphql?query=${encodeURIComponent('mutation { logout(allSessions: true) }')}`;
    const plain = await rawRequest(server.url, { method: 'GET', path });
    expect(plain.status).toBe(400);
    expect(plain.json?.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    const preflighted = await rawRequest(server.url, {
      method: 'GET',
      path,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(preflighted.status).toBe(405);
    expect(preflighted.json?.data).toBeUndefined();
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'refuses a %s POST',
    async (contentType) => {
      const res = await rawRequest(server.url, {
        headers: { 'content-type': contentType },
        body: JSON.stringify({ query: 'mutation { logout(allSessions: true) }' }),
      });
      expect(res.status).toBe(400);
      expect(res.json?.data).toBeUndefined();
      expect(res.json?.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    },
  );

  it('runs a GET query that carries the preflight header', async () => {
    const res = await rawRequest(server.url, {
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent('{ publicMessage }')}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(res.json?.data?.publicMessage).toEqual(expect.any(String));
  });
});

describe('security headers', () => {
  it.each(['/graphql', '/healthz', '/.well-known/jwks.json', '/nowhere'])('on %s', async (path) => {
    const res =
      path === '/graphql'
        ? await postGraphQL(server.url, '{ publicMessage }')
        : await rawRequest(server.url, { method: 'GET', path });
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    });
    // Other origins may read the request id only where they may read anything (CORS).
    const cors = path === '/graphql' || path === '/.well-known/jwks.json';
    expect(res.headers['access-control-expose-headers']).toBe(cors ? 'x-request-id' : undefined);
    expect(res.headers['x-powered-by']).toBeUndefined();
    if (path === '/graphql') expect(res.headers['cache-control']).toBe('no-store');
  });
});
