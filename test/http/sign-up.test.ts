/**
 * Sign-up over HTTP (docs/API.md, "Accounts" and "Passwords"): SIGNUP closed, invite and open,
 * invites and their roles, the password strength rule, unique names and addresses, the limit
 * per client address, and the audit log.
 */
import jwt from 'jsonwebtoken';
import {
  firstError,
  startTestServer,
  type GraphQLResponse,
  type TestServer,
  type TokenPair,
} from '../support/harness';

const PAIR = 'accessToken refreshToken tokenType expiresIn refreshExpiresIn';
const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { ${PAIR} } }`;
const CREATE_INVITE =
  'mutation ($role: Role!, $expiresIn: Int!) { createInvite(role: $role, expiresIn: $expiresIn) }';
const ME = '{ me { id username role email emailVerified } }';
/** Long and unusual enough for zxcvbn (checked: score 3 or more). */
const STRONG = 'tangerine-velvet-orbit-73';
const OTHER_STRONG = 'Plum-Harbor-Quartz-19';

interface SignUpInput {
  username: string;
  password: string;
  email?: string;
  inviteCode?: string;
}
interface Me {
  id: string;
  username: string;
  role: string;
  email: string | null;
  emailVerified: boolean;
}

function signUp(
  server: TestServer,
  input: SignUpInput,
  headers?: Record<string, string>,
): Promise<GraphQLResponse<{ signUp: TokenPair }>> {
  return server.gql(SIGN_UP, { variables: { input }, headers });
}

/** Expects the sign-up to succeed; its pair. */
async function signedUp(server: TestServer, input: SignUpInput): Promise<TokenPair> {
  const res = await signUp(server, input);
  expect(res.errors).toBeUndefined();
  return res.data!.signUp;
}

async function me(server: TestServer, token: string): Promise<Me> {
  const res = await server.gql<{ me: Me }>(ME, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.me;
}

function createInvite(
  server: TestServer,
  token: string,
  role: string,
  expiresIn = 3600,
): Promise<GraphQLResponse<{ createInvite: string }>> {
  return server.gql(CREATE_INVITE, { token, variables: { role, expiresIn } });
}

/** Expects the invite to be made; its code. */
async function invite(server: TestServer, token: string, role: string, expiresIn = 3600) {
  const res = await createInvite(server, token, role, expiresIn);
  expect(res.errors).toBeUndefined();
  expect(res.data!.createInvite).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return res.data!.createInvite;
}

/** Expects BAD_USER_INPUT with a message that matches `message`. */
function expectBadInput(res: GraphQLResponse, message?: RegExp): void {
  expect(firstError(res)).toMatchObject({ code: 'BAD_USER_INPUT' });
  expect(res.data ?? null).toBeNull();
  if (message) expect(res.errors![0]!.message).toMatch(message);
}

async function loginFails(server: TestServer, username: string, password: string) {
  const res = await server.gql(
    'mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }',
    { variables: { u: username, p: password } },
  );
  expect(firstError(res)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
}

async function eventTypes(server: TestServer, adminToken: string, userId: string) {
  const res = await server.gql<{ authEvents: { type: string; userId: string | null }[] }>(
    'query ($id: ID!) { authEvents(userId: $id, limit: 100) { type userId } }',
    { token: adminToken, variables: { id: userId } },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.authEvents.map((event) => event.type);
}

describe('SIGNUP=closed (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' });
  });
  afterAll(() => server.close());

  it('refuses every sign-up with FORBIDDEN, even with a valid invite code, and creates no account', async () => {
    const alice = (await server.login('alice', 'secret123')).accessToken;
    const code = await invite(server, alice, 'USER');
    for (const input of [
      { username: 'closed_one', password: STRONG },
      { username: 'closed_one', password: STRONG, inviteCode: code },
    ]) {
      const res = await signUp(server, input);
      expect(firstError(res)).toMatchObject({ code: 'FORBIDDEN' });
      expect(res.errors![0]!.message).toMatch(/closed/);
      expect(res.data).toBeNull();
    }
    await loginFails(server, 'closed_one', STRONG);
  });
});

describe('SIGNUP=invite', () => {
  let server: TestServer;
  let alice: string;
  beforeAll(async () => {
    server = await startTestServer({
      SIGNUP: 'invite',
      SIGNUP_MAX_PER_ADDRESS: '1000',
      LOGIN_MAX_FAILURES: '1000',
    });
    alice = (await server.login('alice', 'secret123')).accessToken;
  });
  afterAll(() => server.close());

  it('refuses a sign-up without a code with FORBIDDEN', async () => {
    const res = await signUp(server, { username: 'no_code', password: STRONG });
    expect(firstError(res)).toMatchObject({ code: 'FORBIDDEN' });
    expect(res.errors![0]!.message).toMatch(/invite code/);
    await loginFails(server, 'no_code', STRONG);
  });

  it.each([
    ['malformed', 'not-a-code'],
    ['unknown but well-formed', 'A'.repeat(43)],
    ['empty', ''],
  ])('refuses a %s code with BAD_USER_INPUT', async (_name, inviteCode) => {
    const res = await signUp(server, { username: 'bad_code', password: STRONG, inviteCode });
    expectBadInput(res, /invite code is not valid/);
    await loginFails(server, 'bad_code', STRONG);
  });

  it.each(['ADMIN', 'USER'])(
    'gives an account the role of its %s invite, once: a second use is BAD_USER_INPUT',
    async (role) => {
      const code = await invite(server, alice, role);
      const username = `invited_${role.toLowerCase()}`;
      const pair = await signedUp(server, { username, password: STRONG, inviteCode: code });
      expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      const account = await me(server, pair.accessToken);
      expect(account).toMatchObject({ username, role });
      expect(jwt.decode(pair.accessToken, { json: true })).toMatchObject({ role });
      const dashboard = await server.gql('{ adminDashboard { userCount } }', {
        token: pair.accessToken,
      });
      if (role === 'ADMIN') expect(dashboard.errors).toBeUndefined();
      else expect(firstError(dashboard)).toMatchObject({ code: 'FORBIDDEN' });

      const again = await signUp(server, {
        username: `${username}_2`,
        password: STRONG,
        inviteCode: code,
      });
      expectBadInput(again, /invite code is not valid/);
      await loginFails(server, `${username}_2`, STRONG);
    },
  );

  it('leaves the invite usable after sign-ups that fail: a taken name, a weak password, a bad address', async () => {
    const code = await invite(server, alice, 'ADMIN');
    // "BOB" is bob's name in another case: taken.
    expectBadInput(
      await signUp(server, { username: 'BOB', password: STRONG, inviteCode: code }),
      /already taken/,
    );
    expectBadInput(
      await signUp(server, { username: 'keeps_code', password: 'password123', inviteCode: code }),
      /guess/,
    );
    expectBadInput(
      await signUp(server, {
        username: 'keeps_code',
        password: STRONG,
        email: 'not-an-address',
        inviteCode: code,
      }),
      /email address/,
    );
    const pair = await signedUp(server, {
      username: 'keeps_code',
      password: STRONG,
      inviteCode: code,
    });
    expect(await me(server, pair.accessToken)).toMatchObject({
      username: 'keeps_code',
      role: 'ADMIN',
    });
  });

  it('lets only one of two sign-ups racing with the same code succeed', async () => {
    const code = await invite(server, alice, 'USER');
    const answers = await Promise.all(
      ['race_one', 'race_two'].map((username) =>
        signUp(server, { username, password: STRONG, inviteCode: code }),
      ),
    );
    expect(answers.filter((res) => res.errors === undefined)).toHaveLength(1);
    expectBadInput(
      answers.find((res) => res.errors !== undefined)!,
      /invite code is not valid/,
    );
  });

  it('refuses createInvite to a USER with FORBIDDEN, and to no one with UNAUTHENTICATED', async () => {
    const bob = (await server.login('bob', 'password456')).accessToken;
    const byUser = await createInvite(server, bob, 'USER');
    expect(firstError(byUser)).toMatchObject({ code: 'FORBIDDEN' });
    expect(byUser.data?.createInvite).toBeUndefined();
    const anonymous = await server.gql(CREATE_INVITE, {
      variables: { role: 'USER', expiresIn: 3600 },
    });
    expect(firstError(anonymous)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it.each([0, 59, 2_592_001, -60])(
    'refuses expiresIn=%d with BAD_USER_INPUT',
    async (expiresIn) => {
      expectBadInput(
        await createInvite(server, alice, 'USER', expiresIn),
        /between 60 and 2592000/,
      );
    },
  );

  it.each([60, 2_592_000])('accepts expiresIn=%d, the bounds', async (expiresIn) => {
    await invite(server, alice, 'USER', expiresIn);
  });

  it('defaults to a USER invite', async () => {
    const res = await server.gql<{ createInvite: string }>('mutation { createInvite }', {
      token: alice,
    });
    expect(res.errors).toBeUndefined();
    const pair = await signedUp(server, {
      username: 'default_role',
      password: STRONG,
      inviteCode: res.data!.createInvite,
    });
    expect(await me(server, pair.accessToken)).toMatchObject({ role: 'USER' });
  });

  it('records INVITE_CREATED for the admin and SIGNED_UP for the new account', async () => {
    const adminId = (await me(server, alice)).id;
    const code = await invite(server, alice, 'USER');
    const pair = await signedUp(server, {
      username: 'audited',
      password: STRONG,
      inviteCode: code,
    });
    const newId = (await me(server, pair.accessToken)).id;
    expect(await eventTypes(server, alice, adminId)).toContain('INVITE_CREATED');
    expect(await eventTypes(server, alice, newId)).toEqual(
      expect.arrayContaining(['USER_CREATED', 'SIGNED_UP']),
    );
  });

  // Last: it moves the server's clock.
  it('refuses an invite once its expiresIn has passed, and accepts it until then', async () => {
    const early = await invite(server, alice, 'USER', 60);
    const late = await invite(server, alice, 'USER', 60);
    server.clock.advance(50);
    await signedUp(server, { username: 'in_time', password: STRONG, inviteCode: early });
    server.clock.advance(11);
    expectBadInput(
      await signUp(server, { username: 'too_late', password: STRONG, inviteCode: late }),
      /invite code is not valid/,
    );
    await loginFails(server, 'too_late', STRONG);
  });
});

describe('SIGNUP=open', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      SIGNUP: 'open',
      SIGNUP_MAX_PER_ADDRESS: '1000',
      LOGIN_MAX_FAILURES: '1000',
    });
  });
  afterAll(() => server.close());

  it('answers a working token pair of a new USER session, and the password logs in', async () => {
    const pair = await signedUp(server, { username: 'Newcomer', password: STRONG });
    expect(pair).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(pair.refreshExpiresIn).toBeGreaterThan(900);
    expect(await me(server, pair.accessToken)).toMatchObject({
      username: 'Newcomer',
      role: 'USER',
      email: null,
      emailVerified: false,
    });
    const refreshed = await server.gql<{ refresh: TokenPair }>(
      `mutation ($r: String!) { refresh(refreshToken: $r) { ${PAIR} } }`,
      { variables: { r: pair.refreshToken } },
    );
    expect(refreshed.errors).toBeUndefined();
    expect((await me(server, refreshed.data!.refresh.accessToken)).username).toBe('Newcomer');
    expect((await me(server, (await server.login('newcomer', STRONG)).accessToken)).role).toBe(
      'USER',
    );
  });

  it('gives an invite its role in open mode too, and refuses a bad code', async () => {
    const alice = (await server.login('alice', 'secret123')).accessToken;
    const code = await invite(server, alice, 'ADMIN');
    const pair = await signedUp(server, {
      username: 'open_admin',
      password: STRONG,
      inviteCode: code,
    });
    expect((await me(server, pair.accessToken)).role).toBe('ADMIN');
    expectBadInput(
      await signUp(server, { username: 'open_bad', password: STRONG, inviteCode: 'B'.repeat(43) }),
      /invite code is not valid/,
    );
  });

  it.each([
    ['a common password', 'weak_common', 'password123'],
    ['a keyboard row', 'weak_keys', 'qwertyuiop'],
    ['the username and digits', 'kravitzel', 'kravitzel123'],
    ['the username in another case and a year', 'kravitzel', 'Kravitzel1988'],
    ['the whole address', 'weak_address', 'quorvandel@example.com'],
  ])('refuses %s with BAD_USER_INPUT that says why', async (_name, username, password) => {
    const res = await signUp(server, {
      username,
      password,
      ...(username === 'weak_address' ? { email: 'quorvandel@example.com' } : {}),
    });
    expectBadInput(res, /too easy to guess\. \S.*\./);
    await loginFails(server, username, password);
  });

  it('accepts for another account what is weak only as its own name: the rule uses the username', async () => {
    // "kravitzel123" is refused above for the user "kravitzel" only.
    await signedUp(server, { username: 'not_kravitzel', password: 'kravitzel123' });
  });

  it.each([
    ['two characters', 'ab'],
    ['a space', 'two words'],
    ['a slash', 'a/b'],
    ['a control character', 'tab\there'],
  ])('refuses a username with %s with BAD_USER_INPUT', async (_name, username) => {
    expectBadInput(await signUp(server, { username, password: STRONG }));
  });

  it('refuses a password outside 8 to 256 characters with BAD_USER_INPUT', async () => {
    expectBadInput(await signUp(server, { username: 'short_pw', password: 'Zq8!xY' }));
    expectBadInput(await signUp(server, { username: 'long_pw', password: 'x9'.repeat(129) }));
  });

  it('refuses changePassword to a weak new password, and changes nothing', async () => {
    const first = await signedUp(server, { username: 'changer', password: STRONG });
    const other = await server.login('changer', STRONG);
    const CHANGE =
      'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
    for (const weak of ['password123', 'qwertyuiop', 'changer123']) {
      const res = await server.gql(CHANGE, {
        token: first.accessToken,
        variables: { c: STRONG, n: weak },
      });
      expectBadInput(res, /too easy to guess/);
      await loginFails(server, 'changer', weak);
    }
    // Nothing happened: the old password still logs in, the other session still works.
    await me(server, other.accessToken);
    await server.login('changer', STRONG);
    const strong = await server.gql(CHANGE, {
      token: first.accessToken,
      variables: { c: STRONG, n: OTHER_STRONG },
    });
    expect(strong.errors).toBeUndefined();
    expect(strong.data).toEqual({ changePassword: true });
    await server.login('changer', OTHER_STRONG);
  });

  it('refuses a taken username in any case with BAD_USER_INPUT', async () => {
    await signedUp(server, { username: 'taken_name', password: STRONG });
    for (const username of ['taken_name', 'TAKEN_NAME', 'Taken_Name', 'alice', 'ALICE']) {
      expectBadInput(await signUp(server, { username, password: OTHER_STRONG }), /already taken/);
    }
    await loginFails(server, 'TAKEN_NAME', OTHER_STRONG);
  });

  it('refuses an address another account has, in another case, with BAD_USER_INPUT', async () => {
    await signedUp(server, { username: 'first_mail', password: STRONG, email: 'dup@example.com' });
    for (const email of ['dup@example.com', 'Dup@Example.COM', '  DUP@example.com ']) {
      expectBadInput(
        await signUp(server, { username: 'second_mail', password: STRONG, email }),
        /email address exists/,
      );
    }
    await loginFails(server, 'second_mail', STRONG);
  });

  it.each([
    ['no @', 'no-at-sign'],
    ['two @', 'two@@example.com'],
    ['no name', '@example.com'],
    ['no domain', 'name@'],
    ['an undotted domain', 'name@localhost'],
    ['a space', 'with space@example.com'],
    ['a 65-character name', `${'a'.repeat(65)}@example.com`],
    ['255 characters', `${'a'.repeat(64)}@${'b'.repeat(178)}.example.com`],
  ])('refuses an address with %s with BAD_USER_INPUT', async (_name, email) => {
    expectBadInput(
      await signUp(server, { username: 'bad_mail', password: STRONG, email }),
      /email address must look like/,
    );
  });

  it('accepts an address of 254 characters, the longest', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(177)}.example.com`;
    expect(email).toHaveLength(254);
    const pair = await signedUp(server, { username: 'long_mail', password: STRONG, email });
    expect((await me(server, pair.accessToken)).email).toBe(email);
  });

  it('starts a new account with its address unverified', async () => {
    const pair = await signedUp(server, {
      username: 'with_mail',
      password: STRONG,
      email: 'With.Mail@Example.com',
    });
    expect(await me(server, pair.accessToken)).toMatchObject({
      username: 'with_mail',
      email: 'With.Mail@Example.com',
      emailVerified: false,
    });
  });
});

describe('SIGNUP=open with SIGNUP_MAX_PER_ADDRESS=3', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      SIGNUP: 'open',
      SIGNUP_MAX_PER_ADDRESS: '3',
      TRUST_PROXY: '1',
      LOGIN_FAILURE_WINDOW: '10m',
    });
  });
  afterAll(() => server.close());

  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('counts every call, failed or not, and refuses the 4th from one address with RATE_LIMITED', async () => {
    const address = from('203.0.113.7');
    expect((await signUp(server, { username: 'limit_1', password: STRONG }, address)).errors).toBe(
      undefined,
    );
    expectBadInput(await signUp(server, { username: 'limit_2', password: 'password123' }, address));
    expect((await signUp(server, { username: 'limit_3', password: STRONG }, address)).errors).toBe(
      undefined,
    );

    const limited = await signUp(server, { username: 'limit_4', password: STRONG }, address);
    expect(firstError(limited)).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfter: expect.any(Number),
    });
    const retryAfter = firstError(limited)!.retryAfter as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(limited.data).toBeNull();
    await loginFails(server, 'limit_4', STRONG);

    // Another address has its own count.
    expect(
      (
        await signUp(
          server,
          { username: 'limit_elsewhere', password: STRONG },
          from('198.51.100.9'),
        )
      ).errors,
    ).toBeUndefined();

    // Past the window the address may sign up again.
    server.clock.advance(retryAfter + 1);
    expect((await signUp(server, { username: 'limit_4', password: STRONG }, address)).errors).toBe(
      undefined,
    );
  });

  it('records SIGNED_UP and SIGNUP_REFUSED in the audit log', async () => {
    const alice = (await server.login('alice', 'secret123')).accessToken;
    const res = await server.gql<{ authEvents: { type: string; clientAddress: string | null }[] }>(
      '{ authEvents(limit: 200) { type clientAddress } }',
      { token: alice },
    );
    expect(res.errors).toBeUndefined();
    const events = res.data!.authEvents;
    expect(events.filter((e) => e.type === 'SIGNED_UP')).toHaveLength(4);
    expect(events).toContainEqual({ type: 'SIGNUP_REFUSED', clientAddress: '203.0.113.7' });
    expect(events).toContainEqual({ type: 'SIGNED_UP', clientAddress: '198.51.100.9' });
  });
});
