/**
 * Cookie mode for browsers (AUTH_COOKIE=true; README, "Use it from a web app"), over HTTP
 * without a browser: the refresh-token cookie, the CSRF header it requires, CORS with
 * credentials for CORS_ORIGINS, the example page, and that nothing changes without it.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config';
import { firstError, startTestServer, type TestServer } from '../support/harness';

const APP_ORIGIN = 'http://app.example.test';
const OTHER_ORIGIN = 'http://evil.example.test';
const PAIR = 'accessToken refreshToken tokenType expiresIn refreshExpiresIn';
const LOGIN = `mutation { login(username: "bob", password: "password456") { ${PAIR} } }`;
const REFRESH = `mutation { refresh { ${PAIR} } }`;
const LOGOUT = 'mutation { logout }';
const PREFLIGHT = { 'apollo-require-preflight': 'true' };
const COOKIE_ATTRIBUTES =
  /^refresh_token=([A-Za-z0-9_-]{43}); Max-Age=(\d+); Path=\/graphql; HttpOnly; Secure; SameSite=Strict$/;

interface Answer {
  status: number;
  data?: Record<
    string,
    { accessToken: string; refreshToken: string; refreshExpiresIn: number } | boolean
  > | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  setCookie: string[];
  headers: Headers;
}

/** A JSON POST to /graphql with exactly these headers (and optionally a cookie). */
async function post(
  server: TestServer,
  query: string,
  options: { cookie?: string; headers?: Record<string, string>; variables?: object } = {},
): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.cookie ? { cookie: `refresh_token=${options.cookie}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const body = (await response.json()) as Omit<Answer, 'status' | 'setCookie' | 'headers'>;
  return {
    ...body,
    status: response.status,
    setCookie: response.headers.getSetCookie(),
    headers: response.headers,
  };
}

/** The `extensions` of the first error of `answer`. */
function extensionsOf(answer: Answer): Record<string, unknown> | undefined {
  return answer.errors?.[0]?.extensions;
}

/** The refresh token of the single Set-Cookie of `answer`. */
function cookieOf(answer: Answer): string {
  expect(answer.setCookie).toHaveLength(1);
  const match = COOKIE_ATTRIBUTES.exec(answer.setCookie[0]!);
  expect(match).not.toBeNull();
  return match![1]!;
}

async function loginForCookie(
  server: TestServer,
): Promise<{ cookie: string; accessToken: string }> {
  const answer = await post(server, LOGIN);
  const login = answer.data?.login as { accessToken: string };
  return { cookie: cookieOf(answer), accessToken: login.accessToken };
}

describe('cookie mode (AUTH_COOKIE=true)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      AUTH_COOKIE: 'true',
      CORS_ORIGINS: `${APP_ORIGIN}, http://localhost:5173`,
      REFRESH_TOKEN_TTL: '2d',
      // A retired token is refused at once, so "still works" below means "was not used".
      REFRESH_REUSE_INTERVAL: '0',
    });
  });
  afterAll(() => server.close());

  it('login sets the refresh token as an HttpOnly, Secure, SameSite=Strict cookie and leaves it out of the body', async () => {
    const answer = await post(server, LOGIN);
    expect(answer.errors).toBeUndefined();
    const login = answer.data?.login as { refreshToken: string; refreshExpiresIn: number };
    expect(login.refreshToken).toBe('');
    expect(answer.setCookie[0]).toMatch(COOKIE_ATTRIBUTES);
    const maxAge = Number(COOKIE_ATTRIBUTES.exec(answer.setCookie[0]!)![2]);
    expect(maxAge).toBe(login.refreshExpiresIn);
    expect(maxAge).toBeGreaterThan(2 * 86400 - 5);
    expect(maxAge).toBeLessThanOrEqual(2 * 86400);
  });

  it('refresh without an argument uses the cookie and rotates it', async () => {
    const { cookie } = await loginForCookie(server);
    const answer = await post(server, REFRESH, { cookie, headers: PREFLIGHT });
    expect(answer.errors).toBeUndefined();
    const pair = answer.data?.refresh as { accessToken: string; refreshToken: string };
    expect(pair.refreshToken).toBe('');
    const next = cookieOf(answer);
    expect(next).not.toBe(cookie);
    expect((await server.gql('{ me { username } }', { token: pair.accessToken })).data).toEqual({
      me: { username: 'bob' },
    });
    // The old cookie is retired; the new one works.
    expect(extensionsOf(await post(server, REFRESH, { cookie: next, headers: PREFLIGHT }))).toBe(
      undefined,
    );
  });

  it('x-apollo-operation-name counts as the CSRF header too', async () => {
    const { cookie } = await loginForCookie(server);
    const answer = await post(server, REFRESH, {
      cookie,
      headers: { 'x-apollo-operation-name': 'Refresh' },
    });
    expect(answer.errors).toBeUndefined();
    expect(cookieOf(answer)).not.toBe(cookie);
  });

  it('refuses refresh and logout from the cookie without the CSRF header, and leaves the session alone', async () => {
    const { cookie, accessToken } = await loginForCookie(server);
    for (const query of [REFRESH, LOGOUT]) {
      const answer = await post(server, query, { cookie });
      expect(extensionsOf(answer)).toEqual({ code: 'BAD_REQUEST' });
      expect(answer.errors?.[0]?.message).toMatch(/apollo-require-preflight/);
      expect(answer.setCookie).toEqual([]);
    }
    // Nothing happened: the access token and the very same cookie still work.
    expect((await server.gql('{ me { username } }', { token: accessToken })).errors).toBe(
      undefined,
    );
    const after = await post(server, REFRESH, { cookie, headers: PREFLIGHT });
    expect(after.errors).toBeUndefined();
  });

  it("Apollo's csrfPrevention still refuses a form-like POST (text/plain) before any resolver", async () => {
    const { cookie } = await loginForCookie(server);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', cookie: `refresh_token=${cookie}` },
      body: JSON.stringify({ query: LOGOUT }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Cross-Site Request Forgery/);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await post(server, REFRESH, { cookie, headers: PREFLIGHT })).errors).toBeUndefined();
  });

  it('an explicit refreshToken argument needs no CSRF header, and also answers with the cookie', async () => {
    const { cookie } = await loginForCookie(server);
    const answer = await post(
      server,
      `mutation ($r: String) { refresh(refreshToken: $r) { ${PAIR} } }`,
      {
        variables: { r: cookie },
      },
    );
    expect(answer.errors).toBeUndefined();
    expect((answer.data?.refresh as { refreshToken: string }).refreshToken).toBe('');
    expect(cookieOf(answer)).not.toBe(cookie);
  });

  it('refresh with neither argument nor cookie is UNAUTHENTICATED (TOKEN_MISSING)', async () => {
    const answer = await post(server, REFRESH, { headers: PREFLIGHT });
    expect(extensionsOf(answer)).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_MISSING',
    });
  });

  it('logout with the cookie ends the session and clears the cookie (Max-Age=0)', async () => {
    const { cookie, accessToken } = await loginForCookie(server);
    const answer = await post(server, LOGOUT, { cookie, headers: PREFLIGHT });
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ logout: true });
    expect(answer.setCookie).toEqual([
      'refresh_token=; Max-Age=0; Path=/graphql; HttpOnly; Secure; SameSite=Strict',
    ]);
    expect(firstError(await server.gql('{ me { username } }', { token: accessToken }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_REVOKED',
    });
    expect(extensionsOf(await post(server, REFRESH, { cookie, headers: PREFLIGHT }))).toMatchObject(
      {
        code: 'UNAUTHENTICATED',
      },
    );
  });

  it('logout with only a Bearer token (no cookie) works as before and clears the cookie', async () => {
    const { accessToken } = await loginForCookie(server);
    const answer = await post(server, LOGOUT, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(answer.data).toEqual({ logout: true });
    expect(answer.setCookie[0]).toMatch(/^refresh_token=; Max-Age=0;/);
  });

  describe('CORS', () => {
    it('grants a listed origin, with credentials, on POST and preflight', async () => {
      const answer = await post(server, '{ publicMessage }', { headers: { origin: APP_ORIGIN } });
      expect(answer.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
      expect(answer.headers.get('vary')).toMatch(/Origin/);

      const preflight = await fetch(`${server.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, apollo-require-preflight',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(
        /apollo-require-preflight/,
      );
      expect(preflight.headers.get('vary')).toMatch(/Origin/);
    });

    it('grants nothing to another origin, nor to a request without Origin', async () => {
      for (const headers of [{ origin: OTHER_ORIGIN }, {}] as Record<string, string>[]) {
        const answer = await post(server, '{ publicMessage }', { headers });
        expect(answer.headers.get('access-control-allow-origin')).toBeNull();
        expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
        const preflight = await fetch(`${server.url}/graphql`, {
          method: 'OPTIONS',
          headers: { ...headers, 'access-control-request-method': 'POST' },
        });
        expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
        expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
      }
    });
  });

  it('serves the example web app at / and /app.js outside production', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toContain('<script src="/app.js">');
    const script = await fetch(`${server.url}/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('apollo-require-preflight');
  });
});

describe('cookie mode with NODE_ENV=development', () => {
  it('sets the cookie without Secure (plain http on a developer machine)', async () => {
    const server = await startTestServer({ AUTH_COOKIE: 'true', NODE_ENV: 'development' });
    try {
      const answer = await post(server, LOGIN);
      expect(answer.setCookie).toHaveLength(1);
      expect(answer.setCookie[0]).toMatch(/; HttpOnly; SameSite=Strict$/);
      expect(answer.setCookie[0]).not.toMatch(/Secure/);
    } finally {
      await server.close();
    }
  });
});

describe('cookie mode in production', () => {
  it('does not serve the example page', async () => {
    const server = await startTestServer({
      AUTH_COOKIE: 'true',
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(48).toString('base64url'),
    });
    try {
      expect((await fetch(`${server.url}/`)).status).toBe(404);
      expect((await fetch(`${server.url}/app.js`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('without AUTH_COOKIE nothing changes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ CORS_ORIGINS: APP_ORIGIN });
  });
  afterAll(() => server.close());

  it('login and refresh set no cookie and return the refresh token in the body', async () => {
    const login = await post(server, LOGIN);
    expect(login.setCookie).toEqual([]);
    const { refreshToken } = login.data?.login as { refreshToken: string };
    expect(refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const refresh = await post(
      server,
      `mutation ($r: String) { refresh(refreshToken: $r) { ${PAIR} } }`,
      {
        variables: { r: refreshToken },
      },
    );
    expect(refresh.setCookie).toEqual([]);
    expect((refresh.data?.refresh as { refreshToken: string }).refreshToken).toMatch(
      /^[A-Za-z0-9_-]{43}$/,
    );
  });

  it('ignores a refresh_token cookie', async () => {
    const { refreshToken } = await server.login('bob', 'password456');
    const answer = await post(server, REFRESH, { cookie: refreshToken, headers: PREFLIGHT });
    expect(extensionsOf(answer)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    const logout = await post(server, LOGOUT, { cookie: refreshToken, headers: PREFLIGHT });
    expect(extensionsOf(logout)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(logout.setCookie).toEqual([]);
  });

  it('keeps CORS open to every origin without credentials', async () => {
    const answer = await post(server, '{ publicMessage }', { headers: { origin: OTHER_ORIGIN } });
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    const preflight = await fetch(`${server.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: OTHER_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('serves no example page', async () => {
    expect((await fetch(`${server.url}/`)).status).toBe(404);
  });
});

describe('the AUTH_COOKIE and CORS_ORIGINS variables', () => {
  it('default to off and no origins', () => {
    expect(loadConfig({})).toMatchObject({ authCookie: false, corsOrigins: [] });
  });

  it('read a comma-separated list of origins', () => {
    expect(
      loadConfig({ AUTH_COOKIE: 'true', CORS_ORIGINS: 'https://a.example, http://localhost:5173' }),
    ).toMatchObject({
      authCookie: true,
      corsOrigins: ['https://a.example', 'http://localhost:5173'],
    });
  });

  it.each([
    ['AUTH_COOKIE', { AUTH_COOKIE: 'yes' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'https://a.example/' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'a.example' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: '*' }],
  ])('refuse a bad %s, naming it', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });

  it('warn when CORS_ORIGINS is set without AUTH_COOKIE', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example' }).warnings).toEqual([
      expect.stringContaining('CORS_ORIGINS'),
    ]);
  });
});
