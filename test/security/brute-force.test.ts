/**
 * Brute force against login and refresh (docs/SECURITY.md, "Password brute force"). The server
 * allows LOGIN_MAX_FAILURES=3 failures per (username, address) pair, 6 per username from all
 * addresses, 8 per address for all usernames, and 3 refreshes with unknown tokens per address,
 * in a 60 s window; TRUST_PROXY is 0, so the client is the socket's address. Requests come from
 * different loopback addresses (127.0.x.y) to be different clients, and X-Forwarded-For is
 * whatever an attacker likes.
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
const VICTIMS = ['victim1', 'victim2', 'victim3', 'victim4', 'victim5', 'victim6', 'victim7'];
const OFFICE = Array.from({ length: 8 }, (_, i) => `office${i + 1}`);

beforeAll(async () => {
  server = await startTestServer({
    LOGIN_MAX_FAILURES: '3',
    LOGIN_MAX_FAILURES_PER_USERNAME: '6',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '8',
    REFRESH_MAX_FAILURES_PER_ADDRESS: '3',
    LOGIN_FAILURE_WINDOW: '60s',
  });
  const { accessToken } = await server.login('alice', 'secret123');
  for (const name of [...VICTIMS, ...OFFICE]) {
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

function expectLoggedIn(res: RawResponse) {
  expect(res.json?.errors).toBeUndefined();
  expect(res.json?.data?.login).toBeTruthy();
}

describe('failed logins per (username, address) pair', () => {
  it('refuses the next attempt past the limit, even with the right password, without checking it', async () => {
    for (let i = 0; i < 3; i++) {
      expect(firstCode(await login('127.0.1.1', 'victim1', 'wrong-password'))).toEqual(INVALID);
    }
    const checked = verifications();
    expectRateLimited(await login('127.0.1.1', 'victim1', PASSWORD('victim1')));
    expectRateLimited(await login('127.0.1.1', 'VICTIM1', PASSWORD('victim1')));
    expect(verifications()).toBe(checked);
  });

  it('does not lock the account out for other addresses: one address cannot deny the victim', async () => {
    for (let i = 0; i < 3; i++) {
      expect(firstCode(await login('127.0.1.11', 'victim7', 'wrong'))).toEqual(INVALID);
    }
    expectRateLimited(await login('127.0.1.11', 'victim7', PASSWORD('victim7')));
    expectLoggedIn(await login('127.0.1.12', 'victim7', PASSWORD('victim7')));
  });

  it('is reset by a successful login', async () => {
    expect(firstCode(await login('127.0.2.1', 'victim2', 'wrong'))).toEqual(INVALID);
    expect(firstCode(await login('127.0.2.1', 'victim2', 'wrong'))).toEqual(INVALID);
    expectLoggedIn(await login('127.0.2.1', 'victim2', PASSWORD('victim2')));
    expect(firstCode(await login('127.0.2.1', 'victim2', 'wrong'))).toEqual(INVALID);
    expect(firstCode(await login('127.0.2.1', 'victim2', 'wrong'))).toEqual(INVALID);
    // Two failures since the success: below the limit of three.
    expectLoggedIn(await login('127.0.2.1', 'victim2', PASSWORD('victim2')));
  });

  it('opens again when the window has passed', async () => {
    for (let i = 0; i < 3; i++) {
      expect(firstCode(await login('127.0.3.1', 'victim3', 'wrong'))).toEqual(INVALID);
    }
    expectRateLimited(await login('127.0.3.1', 'victim3', PASSWORD('victim3')));
    server.clock.advance(61);
    try {
      expectLoggedIn(await login('127.0.3.1', 'victim3', PASSWORD('victim3')));
    } finally {
      server.clock.advance(-61);
    }
  });

  it('counts concurrent guesses: a burst gets no more password checks than the limit', async () => {
    const checked = verifications();
    slowPasswordChecks(200);
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login('127.0.4.1', 'victim4', `guess-${i}`)),
    ).finally(() => slowPasswordChecks(0));
    const codes = burst.map((res) => firstCode(res)?.code);
    expect(codes.filter((code) => code === 'UNAUTHENTICATED').length).toBeLessThanOrEqual(3);
    expect(codes.filter((code) => code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(9);
    expect(verifications() - checked).toBeLessThanOrEqual(3);
  });
});

describe('failed logins per username, from every address', () => {
  it('refuses the account everywhere past its larger limit: guessing from many addresses is slowed', async () => {
    for (const from of ['127.0.9.1', '127.0.9.2']) {
      for (let i = 0; i < 3; i++) {
        expect(firstCode(await login(from, 'victim6', 'wrong'))).toEqual(INVALID);
      }
    }
    const checked = verifications();
    expectRateLimited(await login('127.0.9.3', 'victim6', PASSWORD('victim6')));
    expect(verifications()).toBe(checked);
  });

  it('counts concurrent guesses from many addresses against it', async () => {
    const checked = verifications();
    slowPasswordChecks(200);
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(`127.0.10.${i + 1}`, 'victim5', `guess-${i}`)),
    ).finally(() => slowPasswordChecks(0));
    const codes = burst.map((res) => firstCode(res)?.code);
    expect(codes.filter((code) => code === 'UNAUTHENTICATED').length).toBeLessThanOrEqual(6);
    expect(verifications() - checked).toBeLessThanOrEqual(6);
  });
});

describe('failed logins per address, for every username', () => {
  it('lets an office behind one address survive its typos', async () => {
    // Five users each mistype once; the sixth, and the five themselves, still log in.
    for (const name of OFFICE.slice(0, 5)) {
      expect(firstCode(await login('127.0.5.1', name, 'typo'))).toEqual(INVALID);
    }
    expectLoggedIn(await login('127.0.5.1', 'office6', PASSWORD('office6')));
    expectLoggedIn(await login('127.0.5.1', 'office1', PASSWORD('office1')));
  });

  it('never refuses users logging in at the same moment from one address', async () => {
    slowPasswordChecks(100);
    const logins = await Promise.all(
      OFFICE.map((name) => login('127.0.5.2', name, PASSWORD(name))),
    ).finally(() => slowPasswordChecks(0));
    for (const res of logins) expectLoggedIn(res);
  });

  it('refuses a client spraying many usernames, whatever username it tries next', async () => {
    for (let i = 1; i <= 8; i++) {
      expect(firstCode(await login('127.0.5.3', `ghost-${i}`, 'wrong'))).toEqual(INVALID);
    }
    expectRateLimited(await login('127.0.5.3', 'victim5', PASSWORD('victim5')));
    // Another client is not affected.
    expectLoggedIn(await login('127.0.5.4', 'office7', PASSWORD('office7')));
  });

  it('is neither dodged nor reset by a spoofed X-Forwarded-For (TRUST_PROXY=0)', async () => {
    for (let i = 1; i <= 8; i++) {
      const res = await login('127.0.6.1', `spray-${i}`, 'wrong', {
        'x-forwarded-for': `198.51.100.${i}`,
      });
      expect(firstCode(res)).toEqual(INVALID);
    }
    for (const spoofed of ['198.51.100.99', '127.0.6.2', '10.0.0.1, 127.0.6.3', 'unknown']) {
      expectRateLimited(
        await login('127.0.6.1', 'office8', PASSWORD('office8'), { 'x-forwarded-for': spoofed }),
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

describe('failed refreshes per address', () => {
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

  it('are only unknown tokens: an address whose clients present ended sessions’ tokens survives', async () => {
    const ended = await server.login('bob', 'password456');
    await server.gql('mutation { logout }', { token: ended.accessToken });
    for (let i = 0; i < 5; i++) {
      const res = await postGraphQL(server.url, REFRESH, {
        variables: { r: ended.refreshToken },
        localAddress: '127.0.8.3',
      });
      expect(firstCode(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
    }
    const valid = await server.login('bob', 'password456');
    const res = await postGraphQL(server.url, REFRESH, {
      variables: { r: valid.refreshToken },
      localAddress: '127.0.8.3',
    });
    expect(res.json?.data?.refresh).toBeTruthy();
  });
});
