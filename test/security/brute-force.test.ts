/**
 * Brute force against login and refresh (docs/SECURITY.md, "Brute force"). The server allows
 * LOGIN_MAX_FAILURES=3 failures per username and per client in a 60 s window; TRUST_PROXY is 0,
 * so the client is the socket's address. Requests come from different loopback addresses
 * (127.0.x.y) to be different clients, and X-Forwarded-For is whatever an attacker likes.
 */
import { startTestServer, type TestServer } from '../support/harness';
import {
  START_TIMEOUT_MS,
  firstCode,
  LOGIN,
  postGraphQL,
  REFRESH,
  rawRequest,
  type RawResponse,
} from './support';

let server: TestServer;
let verifications: () => number;
/** Makes each password check take `ms` longer, so that concurrent attempts overlap. */
let slowPasswordChecks: (ms: number) => void;

const PASSWORD = (name: string) => `${name}-password-123`;

beforeAll(async () => {
  server = await startTestServer({ LOGIN_MAX_FAILURES: '3', LOGIN_FAILURE_WINDOW: '60s' });
  const { accessToken } = await server.login('alice', 'secret123');
  for (const name of ['victim1', 'victim2', 'victim3', 'victim4', 'victim5', 'victim6']) {
    const res = await server.gql(
      'mutation ($u: String!, $p: String!) { createUser(input: { username: $u, password: $p }) { id } }',
      { token: accessToken, variables: { u: name, p: PASSWORD(name) } },
    );
    expect(res.errors).toBeUndefined();
  }
  // Every password check the server makes, known user or not.
  const hasher = server.app.services.deps.hasher;
  const realVerify = hasher.verify.bind(hasher);
  const verify = jest.spyOn(hasher, 'verify');
  const verifyNothing = jest.spyOn(hasher, 'verifyNothing');
  verifications = () => verify.mock.calls.length + verifyNothing.mock.calls.length;
  slowPasswordChecks = (ms) =>
    void verify.mockImplementation(async (password, hash) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return realVerify(password, hash);
    });
}, START_TIMEOUT_MS);
afterAll(() => server?.close());

function login(
  from: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return postGraphQL(server.url, LOGIN, {
    variables: { u: username, p: password },
    localAddress: from,
    headers,
  });
}

const INVALID = { code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' };

function expectRateLimited(res: RawResponse, windowSeconds = 60) {
  expect(res.status).toBe(200);
  expect(res.json?.data ?? null).toBeNull();
  const extensions = firstCode(res)!;
  expect(extensions.code).toBe('RATE_LIMITED');
  expect(extensions.retryAfter).toEqual(expect.any(Number));
  expect(extensions.retryAfter).toBeGreaterThanOrEqual(1);
  expect(extensions.retryAfter).toBeLessThanOrEqual(windowSeconds);
}

describe('failed logins per username', () => {
  it('refuses the next attempt past the limit, even with the right password, without checking it', async () => {
    for (const from of ['127.0.1.1', '127.0.1.2', '127.0.1.3']) {
      expect(firstCode(await login(from, 'victim1', 'wrong-password'))).toEqual(INVALID);
    }
    const checked = verifications();
    // A fresh client, the right password: still refused, and no password was compared.
    expectRateLimited(await login('127.0.1.4', 'victim1', PASSWORD('victim1')));
    expectRateLimited(await login('127.0.1.5', 'VICTIM1', PASSWORD('victim1')));
    expect(verifications()).toBe(checked);
  });

  it('is reset by a successful login (but the client count is not)', async () => {
    expect(firstCode(await login('127.0.2.1', 'victim2', 'wrong'))).toEqual(INVALID);
    expect(firstCode(await login('127.0.2.2', 'victim2', 'wrong'))).toEqual(INVALID);
    expect(
      (await login('127.0.2.3', 'victim2', PASSWORD('victim2'))).json?.data?.login,
    ).toBeTruthy();
    expect(firstCode(await login('127.0.2.4', 'victim2', 'wrong'))).toEqual(INVALID);
    expect(firstCode(await login('127.0.2.5', 'victim2', 'wrong'))).toEqual(INVALID);
    // Two failures since the success: below the limit of three.
    expect(
      (await login('127.0.2.6', 'victim2', PASSWORD('victim2'))).json?.data?.login,
    ).toBeTruthy();

    // One client: two failures, its own success, one more failure = three for that client.
    expect(firstCode(await login('127.0.2.7', 'nobody-a', 'wrong'))).toEqual(INVALID);
    expect(firstCode(await login('127.0.2.7', 'nobody-b', 'wrong'))).toEqual(INVALID);
    expect(
      (await login('127.0.2.7', 'victim2', PASSWORD('victim2'))).json?.data?.login,
    ).toBeTruthy();
    expect(firstCode(await login('127.0.2.7', 'nobody-c', 'wrong'))).toEqual(INVALID);
    expectRateLimited(await login('127.0.2.7', 'victim2', PASSWORD('victim2')));
  });

  it('opens again when the window has passed', async () => {
    for (const from of ['127.0.3.1', '127.0.3.2', '127.0.3.3']) {
      expect(firstCode(await login(from, 'victim3', 'wrong'))).toEqual(INVALID);
    }
    expectRateLimited(await login('127.0.3.4', 'victim3', PASSWORD('victim3')));
    server.clock.advance(61);
    try {
      expect(
        (await login('127.0.3.5', 'victim3', PASSWORD('victim3'))).json?.data?.login,
      ).toBeTruthy();
    } finally {
      server.clock.advance(-61);
    }
  });

  it('counts concurrent guesses: a burst gets no more password checks than the limit', async () => {
    const checked = verifications();
    slowPasswordChecks(200);
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(`127.0.4.${i + 1}`, 'victim4', `guess-${i}`)),
    ).finally(() => slowPasswordChecks(0));
    const codes = burst.map((res) => firstCode(res)?.code);
    expect(codes.filter((code) => code === 'UNAUTHENTICATED').length).toBeLessThanOrEqual(3);
    expect(codes.filter((code) => code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(9);
    expect(verifications() - checked).toBeLessThanOrEqual(3);
  });
});

describe('failed logins per client', () => {
  it('refuses a client past the limit whatever username it tries next', async () => {
    for (const username of ['ghost-1', 'ghost-2', 'ghost-3']) {
      expect(firstCode(await login('127.0.5.1', username, 'wrong'))).toEqual(INVALID);
    }
    expectRateLimited(await login('127.0.5.1', 'victim5', PASSWORD('victim5')));
    // Another client is not affected.
    expect(
      (await login('127.0.5.2', 'victim5', PASSWORD('victim5'))).json?.data?.login,
    ).toBeTruthy();
  });

  it('is neither dodged nor reset by a spoofed X-Forwarded-For (TRUST_PROXY=0)', async () => {
    for (let i = 1; i <= 3; i++) {
      const res = await login('127.0.6.1', `spray-${i}`, 'wrong', {
        'x-forwarded-for': `198.51.100.${i}`,
      });
      expect(firstCode(res)).toEqual(INVALID);
    }
    for (const spoofed of ['198.51.100.99', '127.0.6.2', '10.0.0.1, 127.0.6.3', 'unknown']) {
      expectRateLimited(
        await login('127.0.6.1', 'victim6', PASSWORD('victim6'), { 'x-forwarded-for': spoofed }),
      );
    }
  });
});

describe('several logins in one request', () => {
  it('refuses aliased, fragment and inline-fragment logins before checking any password', async () => {
    const checked = verifications();
    const documents = [
      `mutation { ${Array.from({ length: 10 }, (_, i) => `a${i}: login(username: "victim6", password: "guess${i}") { accessToken }`).join(' ')} }`,
      'mutation { login(username: "victim6", password: "a") { accessToken } ...F } fragment F on Mutation { b: login(username: "victim6", password: "b") { accessToken } }',
      'mutation { ... on Mutation { a: login(username: "victim6", password: "a") { accessToken } } ... { b: login(username: "victim6", password: "b") { accessToken } } }',
      'mutation { login(username: "victim6", password: "a") { accessToken } refresh(refreshToken: "x") { accessToken } }',
    ];
    for (const query of documents) {
      const res = await postGraphQL(server.url, query, { localAddress: '127.0.7.1' });
      expect(res.status).toBe(400);
      expect(res.json?.data).toBeUndefined();
      expect(firstCode(res)?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.json?.errors?.[0]?.message).toMatch(
        /at most one of login, refresh, changePassword/,
      );
    }
    expect(verifications()).toBe(checked);
  });

  it('refuses an HTTP batch of logins before checking any password', async () => {
    const checked = verifications();
    const batch = Array.from({ length: 5 }, (_, i) => ({
      query: LOGIN,
      variables: { u: 'victim6', p: `guess-${i}` },
    }));
    const res = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
      localAddress: '127.0.7.2',
    });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('accessToken');
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(verifications()).toBe(checked);
  });
});

describe('failed refreshes per client', () => {
  it('refuses a client past the limit, even with a valid refresh token, without looking it up', async () => {
    const pair = await server.login('bob', 'password456');
    for (const token of ['garbage', 'B'.repeat(43), pair.accessToken]) {
      const res = await postGraphQL(server.url, REFRESH, {
        variables: { r: token },
        localAddress: '127.0.8.1',
      });
      expect(firstCode(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
    }
    const rotate = jest.spyOn(server.app.services.deps.sessions, 'rotate');
    try {
      const limited = await postGraphQL(server.url, REFRESH, {
        variables: { r: pair.refreshToken },
        localAddress: '127.0.8.1',
        headers: { 'x-forwarded-for': '203.0.113.1' },
      });
      expectRateLimited(limited);
      expect(rotate).not.toHaveBeenCalled();
    } finally {
      rotate.mockRestore();
    }
    // The same token from another client still works: nothing was spent.
    const other = await postGraphQL(server.url, REFRESH, {
      variables: { r: pair.refreshToken },
      localAddress: '127.0.8.2',
    });
    expect(other.json?.data?.refresh).toBeTruthy();
  });
});
