/**
 * One canonical username per account (docs/SECURITY.md, "One spelling per account"): every
 * spelling NFKC folds into the account's name logs in and counts on its limits; every other
 * spelling is no one, refused without a database query. LOGIN_MAX_FAILURES=3.
 */
import { startTestServer, type TestServer } from '../support/harness';
import { firstCode, LOGIN, postGraphQL, START_TIMEOUT_MS, type RawResponse } from './support';

let server: TestServer;
let admin: string;
/** How often the server looked an account up by its username. */
let lookups: () => number;

beforeAll(async () => {
  server = await startTestServer({ LOGIN_MAX_FAILURES: '3', LOGIN_FAILURE_WINDOW: '60s' });
  admin = (await server.login('alice', 'secret123')).accessToken;
  for (const name of ['kate', 'mia']) {
    expect((await createUser(name)).errors).toBeUndefined();
  }
  const spy = jest.spyOn(server.app.services.deps.users, 'findByCanonicalUsername');
  lookups = () => spy.mock.calls.length;
}, START_TIMEOUT_MS);
afterAll(() => server?.close());

const PASSWORD = (name: string) => `${name}-password-123`;

function createUser(username: string) {
  return server.gql(
    'mutation ($u: String!, $p: String!) { createUser(input: { username: $u, password: $p }) { id } }',
    { token: admin, variables: { u: username, p: PASSWORD(username.toLowerCase()) } },
  );
}

function login(from: string, username: string, password: string): Promise<RawResponse> {
  return postGraphQL(server.url, LOGIN, {
    variables: { u: username, p: password },
    localAddress: from,
  });
}

const INVALID = { code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' };

describe('spellings that NFKC folds into the account name', () => {
  it.each([
    ['fullwidth letters', '\uFF4B\uFF41\uFF54\uFF45'],
    ['the Kelvin sign', '\u212Aate'],
    ['capitals', 'KATE'],
  ])('log in with %s', async (_name, spelling) => {
    const res = await login('127.0.20.1', spelling, PASSWORD('kate'));
    expect(res.json?.data?.login).toBeTruthy();
  });

  it('count on the account’s limit: failures in three spellings lock the fourth out', async () => {
    for (const spelling of ['\uFF4B\uFF41\uFF54\uFF45', '\u212Aate', 'KATE']) {
      expect(firstCode(await login('127.0.21.1', spelling, 'wrong-password'))).toEqual(INVALID);
    }
    const limited = await login('127.0.21.1', 'kate', PASSWORD('kate'));
    expect(firstCode(limited)?.code).toBe('RATE_LIMITED');
  });
});

describe('spellings that are no one’s', () => {
  it.each([
    ['İ (U+0130), which PostgreSQL lowercases to i', 'm\u0130a', 1],
    ['i with a combining dot', 'mi\u0307a', 2],
    ['a combining accent', 'mia\u0301', 3],
    ['a zero-width space', 'm\u200Bia', 4],
    ['a zero-width joiner', 'mi\u200Da', 5],
    ['a Cyrillic а', 'mi\u0430', 6],
  ])('do not log in, even with the right password: %s', async (_name, spelling, client) => {
    const before = lookups();
    const res = await login(`127.0.22.${client}`, spelling, PASSWORD('mia'));
    expect(firstCode(res)).toEqual(INVALID);
    expect(res.json?.data ?? null).toBeNull();
    expect(lookups()).toBe(before);
  });

  it('give no more guesses at a locked account: mİa does not reach mia', async () => {
    for (let i = 0; i < 3; i++) {
      expect(firstCode(await login('127.0.23.1', 'mia', 'wrong-password'))).toEqual(INVALID);
    }
    expect(firstCode(await login('127.0.23.1', 'mia', PASSWORD('mia')))?.code).toBe('RATE_LIMITED');
    const res = await login('127.0.23.1', 'm\u0130a', PASSWORD('mia'));
    expect(res.json?.data ?? null).toBeNull();
    expect(firstCode(res)).toEqual(INVALID);
  });

  it.each([
    ['fullwidth letters', '\uFF4Dia2'],
    ['a zero-width space', 'mia\u200B2'],
    ['İ', 'm\u0130a2'],
    ['a combining accent', 'mia\u03012'],
  ])('cannot be a new account’s name: %s', async (_name, spelling) => {
    const res = await createUser(spelling);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('cannot take an existing name in other capitals either', async () => {
    const res = await createUser('MIA');
    expect(res.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/already taken/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});
