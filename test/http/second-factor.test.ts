/**
 * The second factor as a client meets it over HTTP (docs/API.md, "Second factor"): TOTP
 * enrolment and confirmation, recovery codes, verifyMfa raising the session to aal2, refresh
 * keeping it, `mfa: true` and MFA_REQUIRED_ROLES demanding it, the rate limits on codes, and
 * disableTotp. Codes are computed from the enrolled secret by test/support/totp.ts, a TOTP of
 * its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { ConfigError, loadConfig } from '../../src/config';
import { createServer } from '../../src/server';
import { SqlSecondFactorStore } from '../../src/store/sql-second-factor-store';
import { firstError, startTestServer, type TestServer, type TokenPair } from '../support/harness';
import { createTestBackend, postgresBackendEnabled } from '../support/postgres';
import {
  authenticatorCode,
  claimsOf,
  codeOfStep,
  enrollTotp,
  nextCode,
  PAIR_FIELDS,
  secondFactor,
  stepOf,
  verifyMfa,
  wrongCode,
  type Enrolled,
} from '../support/totp';

const MFA_REQUIRED = { code: 'FORBIDDEN', reason: 'MFA_REQUIRED' };
const WRONG = { code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' };
const BAD_USER_INPUT = { code: 'BAD_USER_INPUT' };
const RECOVERY_CODE = /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/;
const PASSWORD = 'a long password of 2FA users';

let counter = 0;

/** A new USER account, created by alice, and a login of it. */
async function newAccount(server: TestServer, admin: string) {
  const username = `mfa_${process.pid}_${++counter}`;
  const res = await server.gql<{ createUser: { id: string } }>(
    'mutation ($u: String!, $p: String!) { createUser(input: { username: $u, password: $p }) { id } }',
    { token: admin, variables: { u: username, p: PASSWORD } },
  );
  if (!res.data) throw new Error(`createUser failed: ${JSON.stringify(res.errors)}`);
  return { username, id: res.data.createUser.id, login: () => server.login(username, PASSWORD) };
}

function disableTotp(server: TestServer, token: string, password: string, code: string) {
  return server.gql<{ disableTotp: boolean }>(
    'mutation ($p: String!, $c: String!) { disableTotp(password: $p, code: $c) }',
    { token, variables: { p: password, c: code } },
  );
}

function refresh(server: TestServer, refreshToken: string) {
  return server.gql<{ refresh: TokenPair }>(
    `mutation ($r: String!) { refresh(refreshToken: $r) { ${PAIR_FIELDS} } }`,
    { variables: { r: refreshToken } },
  );
}

async function mfaEnabled(server: TestServer, token: string): Promise<boolean | undefined> {
  const res = await server.gql<{ me: { mfaEnabled: boolean } }>('{ me { mfaEnabled } }', {
    token,
  });
  return res.data?.me.mfaEnabled;
}

describe('the second factor', () => {
  let server: TestServer;
  let alice: string;
  beforeAll(async () => {
    server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' });
    alice = (await server.login('alice', 'secret123')).accessToken;
  });
  afterAll(() => server.close());

  describe('enrolment', () => {
    it('gives a base32 secret, its otpauth URI and QR code, pending until confirmed', async () => {
      const account = await newAccount(server, alice);
      const { accessToken } = await account.login();
      const res = await server.gql<{
        enrollTotp: { secret: string; otpauthUri: string; qrSvg: string };
      }>('mutation { enrollTotp { secret otpauthUri qrSvg } }', { token: accessToken });
      expect(res.errors).toBeUndefined();
      const { secret, otpauthUri, qrSvg } = res.data!.enrollTotp;
      expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 20 random bytes
      expect(otpauthUri).toBe(
        `otpauth://totp/graphql-auth:${account.username}?secret=${secret}&issuer=graphql-auth&algorithm=SHA1&digits=6&period=30`,
      );
      expect(qrSvg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(qrSvg.trim().endsWith('</svg>')).toBe(true);
      expect(await mfaEnabled(server, accessToken)).toBe(false);
    });

    it('confirms with a first code: ten distinct single-use recovery codes, shown once', async () => {
      const account = await newAccount(server, alice);
      const { accessToken } = await account.login();
      const enrolled = await enrollTotp(server, accessToken);
      expect(enrolled.recoveryCodes).toHaveLength(10);
      expect(new Set(enrolled.recoveryCodes).size).toBe(10);
      for (const code of enrolled.recoveryCodes) expect(code).toMatch(RECOVERY_CODE);
      expect(await mfaEnabled(server, accessToken)).toBe(true);

      // Once: neither confirmation nor a new enrolment while the factor is on.
      const again = await server.gql('mutation ($c: String!) { confirmTotp(code: $c) }', {
        token: accessToken,
        variables: { c: nextCode(server, enrolled) },
      });
      expect(firstError(again)).toEqual(BAD_USER_INPUT);
      const replace = await server.gql('mutation { enrollTotp { secret } }', {
        token: accessToken,
      });
      expect(firstError(replace)).toEqual(BAD_USER_INPUT);
      expect(replace.errors![0]!.message).toMatch(/disable/);
    });

    it('refuses a wrong first code, and a code of a pending secret replaced since', async () => {
      const account = await newAccount(server, alice);
      const { accessToken } = await account.login();
      const enroll = async () =>
        (
          await server.gql<{ enrollTotp: { secret: string } }>(
            'mutation { enrollTotp { secret } }',
            { token: accessToken },
          )
        ).data!.enrollTotp.secret;
      const confirm = (code: string) =>
        server.gql('mutation ($c: String!) { confirmTotp(code: $c) }', {
          token: accessToken,
          variables: { c: code },
        });
      const first = await enroll();
      const second = await enroll();
      expect(second).not.toBe(first);
      const now = server.clock.now();
      expect(firstError(await confirm(authenticatorCode(first, now)))).toEqual(WRONG);
      expect(firstError(await confirm(wrongCode(server, { secret: second })))).toEqual(WRONG);
      expect(await mfaEnabled(server, accessToken)).toBe(false);
      expect((await confirm(authenticatorCode(second, now))).errors).toBeUndefined();
    });

    it('answers confirmTotp and verifyMfa without an enrolment with BAD_USER_INPUT', async () => {
      const { accessToken } = await (await newAccount(server, alice)).login();
      const confirm = await server.gql('mutation { confirmTotp(code: "123456") }', {
        token: accessToken,
      });
      expect(firstError(confirm)).toEqual(BAD_USER_INPUT);
      expect(firstError(await verifyMfa(server, accessToken, '123456'))).toEqual(BAD_USER_INPUT);
    });
  });

  describe('verifyMfa', () => {
    let account: Awaited<ReturnType<typeof newAccount>>;
    let enrolled: Enrolled;
    let aal1: TokenPair;
    beforeAll(async () => {
      account = await newAccount(server, alice);
      enrolled = await enrollTotp(server, (await account.login()).accessToken);
    });
    beforeEach(async () => {
      aal1 = await account.login();
    });

    it('gives every login aal1 and amr ["pwd"], a second factor or not', () => {
      expect(claimsOf(aal1.accessToken)).toMatchObject({ acr: 'aal1', amr: ['pwd'] });
    });

    it('raises the same session to aal2: acr "aal2", amr ["pwd", "otp"]', async () => {
      const pair = await secondFactor(server, aal1.accessToken, enrolled);
      const before = claimsOf(aal1.accessToken);
      const after = claimsOf(pair.accessToken);
      expect(after).toMatchObject({ acr: 'aal2', amr: ['pwd', 'otp'], sid: before.sid });
      expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      expect(pair.refreshToken).not.toBe(aal1.refreshToken);
    });

    it('refuses a code used once, the second time: the confirmation code too', async () => {
      // The confirmation used the step of enrolled.lastStep at the time; any code of a step
      // already used is refused, also within the drift window.
      const used = codeOfStep(enrolled.secret, enrolled.lastStep);
      expect(firstError(await verifyMfa(server, aal1.accessToken, used))).toEqual(WRONG);
      const code = nextCode(server, enrolled);
      expect((await verifyMfa(server, aal1.accessToken, code)).errors).toBeUndefined();
      const again = await verifyMfa(server, (await account.login()).accessToken, code);
      expect(firstError(again)).toEqual(WRONG);
    });

    it('takes a code of the step before or after (drift), and none further away', async () => {
      server.clock.advance(120); // past every step used so far
      const now = server.clock.now();
      const far = authenticatorCode(enrolled.secret, now, 2);
      const inWindow = [-1, 0, 1].map((s) => authenticatorCode(enrolled.secret, now, s));
      if (!inWindow.includes(far)) {
        expect(firstError(await verifyMfa(server, aal1.accessToken, far))).toEqual(WRONG);
      }
      const previous = await verifyMfa(server, aal1.accessToken, inWindow[0]!);
      expect(previous.errors).toBeUndefined();
      const ahead = await verifyMfa(server, (await account.login()).accessToken, inWindow[2]!);
      expect(ahead.errors).toBeUndefined();
      enrolled.lastStep = stepOf(now) + 1;
    });

    it('takes each recovery code once, however it is typed', async () => {
      const [code] = enrolled.recoveryCodes.splice(0, 1) as [string];
      const typed = code.toLowerCase().replace(/-/g, ' ');
      const res = await verifyMfa(server, aal1.accessToken, typed);
      expect(res.errors).toBeUndefined();
      expect(claimsOf(res.data!.verifyMfa.accessToken)).toMatchObject({ acr: 'aal2' });
      const again = await verifyMfa(server, (await account.login()).accessToken, code);
      expect(firstError(again)).toEqual(WRONG);
    });

    it('refuses something that is neither kind of code as a wrong code', async () => {
      for (const code of ['12345', 'not a code', 'ABCD-EFGH-IJKL-MNOP', '']) {
        expect(firstError(await verifyMfa(server, aal1.accessToken, code))).toEqual(WRONG);
      }
    });

    it('keeps the level across refreshes, and the pair of the password alone is retired', async () => {
      const raised = await secondFactor(server, aal1.accessToken, enrolled);
      const next = await refresh(server, raised.refreshToken);
      expect(next.errors).toBeUndefined();
      const claims = claimsOf(next.data!.refresh.accessToken);
      expect(claims).toMatchObject({ acr: 'aal2', amr: ['pwd', 'otp'] });
      expect(claims.sid).toBe(claimsOf(aal1.accessToken).sid);
      const again = await refresh(server, next.data!.refresh.refreshToken);
      expect(claimsOf(again.data!.refresh.accessToken)).toMatchObject({ acr: 'aal2' });
      // The aal1 refresh token was retired by verifyMfa: past the reuse interval it is reuse,
      // which ends the session.
      server.clock.advance(11);
      expect(firstError(await refresh(server, aal1.refreshToken))).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_REVOKED',
      });
      // A new login starts at aal1 again.
      expect(claimsOf((await account.login()).accessToken)).toMatchObject({ acr: 'aal1' });
    });

    it('is one credential field per operation: no guessing through aliases', async () => {
      const res = await server.gql(
        'mutation { a: verifyMfa(code: "111111") { accessToken } b: verifyMfa(code: "222222") { accessToken } }',
        { token: aal1.accessToken },
      );
      expect(res.status).toBe(400);
      expect(firstError(res)).toMatchObject({ limit: 'credentialFields' });
    });
  });

  describe('a field that demands the second factor: disableTotp, @auth(mfa: true)', () => {
    it('refuses a session at aal1 with FORBIDDEN, reason MFA_REQUIRED, and runs nothing', async () => {
      const account = await newAccount(server, alice);
      const aal1 = (await account.login()).accessToken;
      const enrolled = await enrollTotp(server, aal1);
      const res = await disableTotp(server, aal1, PASSWORD, nextCode(server, enrolled));
      expect(res.data ?? null).toBeNull();
      expect(firstError(res)).toEqual(MFA_REQUIRED);
      expect(res.errors![0]!.message).toMatch(/verifyMfa/);
      expect(await mfaEnabled(server, aal1)).toBe(true);
    });

    it('takes a token without acr (issued before this server had it) for aal1', async () => {
      const account = await newAccount(server, alice);
      const pair = await account.login();
      const { acr: _acr, amr: _amr, ...old } = claimsOf(pair.accessToken);
      const { kid } = JSON.parse(
        Buffer.from(pair.accessToken.split('.')[0]!, 'base64url').toString(),
      ) as { kid: string };
      const token = jwt.sign(old, 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz', {
        header: { alg: 'HS256', typ: 'at+jwt', kid },
      });
      expect(await mfaEnabled(server, token)).toBe(false);
      expect(firstError(await disableTotp(server, token, PASSWORD, '123456'))).toEqual(
        MFA_REQUIRED,
      );
    });

    it('at aal2, turns the factor off with the password and a current code', async () => {
      const account = await newAccount(server, alice);
      const aal1 = (await account.login()).accessToken;
      const enrolled = await enrollTotp(server, aal1);
      const aal2 = (await secondFactor(server, aal1, enrolled)).accessToken;

      expect(firstError(await disableTotp(server, aal2, 'not the password', '000000'))).toEqual(
        WRONG,
      );
      // A wrong password spends no code: the same code works with the right one.
      const code = nextCode(server, enrolled);
      expect(firstError(await disableTotp(server, aal2, 'wrong password', code))).toEqual(WRONG);
      const res = await disableTotp(server, aal2, PASSWORD, code);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ disableTotp: true });

      expect(await mfaEnabled(server, aal2)).toBe(false);
      expect(firstError(await verifyMfa(server, aal1, enrolled.recoveryCodes[0]!))).toEqual(
        BAD_USER_INPUT,
      );
      // Enrolled again: the old recovery codes are gone with the old factor.
      const again = await enrollTotp(server, aal1);
      expect(firstError(await verifyMfa(server, aal1, enrolled.recoveryCodes[1]!))).toEqual(WRONG);
      expect((await verifyMfa(server, aal1, again.recoveryCodes[0]!)).errors).toBeUndefined();
    });

    it('takes a recovery code as the current code', async () => {
      const account = await newAccount(server, alice);
      const aal1 = (await account.login()).accessToken;
      const enrolled = await enrollTotp(server, aal1);
      const aal2 = (await secondFactor(server, aal1, enrolled)).accessToken;
      const res = await disableTotp(server, aal2, PASSWORD, enrolled.recoveryCodes[3]!);
      expect(res.data).toEqual({ disableTotp: true });
    });

    it('says "Requires a second factor." in its description', async () => {
      const res = await server.gql<{
        __type: { fields: { name: string; description: string }[] };
      }>('{ __type(name: "Mutation") { fields { name description } } }');
      const described = Object.fromEntries(
        res.data!.__type.fields.map((f) => [f.name, f.description]),
      );
      expect(described.disableTotp).toMatch(
        /Requires authentication\. Requires a second factor\.$/,
      );
      expect(described.verifyMfa).toMatch(/Requires authentication\.$/);
    });
  });

  describe('User.mfaEnabled', () => {
    it('is seen by the account and by admins, in one lookup for a whole page', async () => {
      const account = await newAccount(server, alice);
      await enrollTotp(server, (await account.login()).accessToken);
      const lookups = jest.spyOn(SqlSecondFactorStore.prototype, 'confirmedAmong');
      try {
        const res = await server.gql<{ users: { id: string; mfaEnabled: boolean }[] }>(
          '{ users(first: 500) { id mfaEnabled } }',
          { token: alice },
        );
        expect(res.errors).toBeUndefined();
        const byId = new Map(res.data!.users.map((u) => [u.id, u.mfaEnabled]));
        expect(byId.get(account.id)).toBe(true);
        expect(byId.get(res.data!.users.find((u) => u.id !== account.id)!.id)).toBeDefined();
        expect(res.data!.users.some((u) => !u.mfaEnabled)).toBe(true);
        expect(lookups).toHaveBeenCalledTimes(1);
        expect(lookups.mock.calls[0]![0]).toHaveLength(res.data!.users.length);
      } finally {
        lookups.mockRestore();
      }
    });
  });

  describe('the audit log', () => {
    it('records enrolment, confirmation, verification, a failed code and disabling', async () => {
      const account = await newAccount(server, alice);
      const aal1 = (await account.login()).accessToken;
      const enrolled = await enrollTotp(server, aal1);
      await verifyMfa(server, aal1, wrongCode(server, enrolled));
      const aal2 = (await secondFactor(server, aal1, enrolled)).accessToken;
      await verifyMfa(server, aal1, enrolled.recoveryCodes[0]!);
      await disableTotp(server, aal2, PASSWORD, nextCode(server, enrolled));
      const res = await server.gql<{ authEvents: { type: string }[] }>(
        'query ($id: ID!) { authEvents(userId: $id, limit: 20) { type } }',
        { token: alice, variables: { id: account.id } },
      );
      const types = res.data!.authEvents.map((e) => e.type).reverse();
      expect(types).toEqual([
        'USER_CREATED',
        'LOGIN_SUCCEEDED',
        'TOTP_ENROLLED',
        'TOTP_CONFIRMED',
        'MFA_FAILED',
        'MFA_VERIFIED',
        'RECOVERY_CODE_USED',
        'MFA_VERIFIED',
        'TOTP_DISABLED',
      ]);
    });
  });
});

describe('wrong codes, as many as logins get', () => {
  let server: TestServer;
  let alice: string;
  beforeAll(async () => {
    server = await startTestServer({
      LOGIN_MAX_FAILURES: '3',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '5',
      LOGIN_FAILURE_WINDOW: '15m',
    });
    alice = (await server.login('alice', 'secret123')).accessToken;
  });
  afterAll(() => server.close());

  it('refuses every code of the account after LOGIN_MAX_FAILURES wrong ones: RATE_LIMITED', async () => {
    const account = await newAccount(server, alice);
    const token = (await account.login()).accessToken;
    const enrolled = await enrollTotp(server, token);
    for (let i = 0; i < 3; i++) {
      expect(firstError(await verifyMfa(server, token, wrongCode(server, enrolled)))).toEqual(
        WRONG,
      );
    }
    const limited = await verifyMfa(server, token, nextCode(server, enrolled));
    expect(firstError(limited)).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    // Recovery codes and disableTotp count on the same limit.
    expect(firstError(await verifyMfa(server, token, enrolled.recoveryCodes[0]!))).toMatchObject({
      code: 'RATE_LIMITED',
    });
    // Another session of the account is limited too: the count is the account's.
    const other = (await account.login()).accessToken;
    expect(firstError(await verifyMfa(server, other, wrongCode(server, enrolled)))).toMatchObject({
      code: 'RATE_LIMITED',
    });

    server.clock.advance(15 * 60 + 1);
    const later = await verifyMfa(server, token, nextCode(server, enrolled));
    expect(later.errors).toBeUndefined();

    const events = await server.gql<{ authEvents: { type: string; count: number }[] }>(
      'query ($id: ID!) { authEvents(userId: $id) { type count } }',
      {
        token: (await server.login('alice', 'secret123')).accessToken,
        variables: { id: account.id },
      },
    );
    const types = events.data!.authEvents.map((e) => e.type);
    expect(types.filter((t) => t === 'MFA_FAILED')).toHaveLength(3);
    expect(types).toContain('MFA_RATE_LIMITED');
  });

  it('refuses an address past LOGIN_MAX_FAILURES_PER_ADDRESS over all its accounts', async () => {
    const admin = (await server.login('alice', 'secret123')).accessToken;
    const [one, two] = [await newAccount(server, admin), await newAccount(server, admin)];
    const first = (await one.login()).accessToken;
    const second = (await two.login()).accessToken;
    const firstFactor = await enrollTotp(server, first);
    const enrolled = await enrollTotp(server, second);
    for (let i = 0; i < 3; i++) await verifyMfa(server, first, wrongCode(server, firstFactor));
    for (let i = 0; i < 2; i++) {
      expect(firstError(await verifyMfa(server, second, wrongCode(server, enrolled)))).toEqual(
        WRONG,
      );
    }
    // The second account has 2 of its 3, but the address has its 5.
    const refused = await verifyMfa(server, second, nextCode(server, enrolled));
    expect(firstError(refused)).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('MFA_REQUIRED_ROLES=ADMIN', () => {
  let server: TestServer;
  let alice: TokenPair;
  let enrolled: Enrolled;
  beforeAll(async () => {
    server = await startTestServer({ MFA_REQUIRED_ROLES: 'ADMIN', LOGIN_MAX_FAILURES: '1000' });
    alice = await server.login('alice', 'secret123');
    enrolled = await enrollTotp(server, alice.accessToken);
  });
  afterAll(() => server.close());

  it('makes adminDashboard demand aal2: FORBIDDEN, reason MFA_REQUIRED, until verifyMfa', async () => {
    const query = '{ adminDashboard { message } }';
    expect(firstError(await server.gql(query, { token: alice.accessToken }))).toEqual(MFA_REQUIRED);
    // @auth fields are not touched.
    expect(await mfaEnabled(server, alice.accessToken)).toBe(true);
    const aal2 = await secondFactor(server, alice.accessToken, enrolled);
    const res = await server.gql<{ adminDashboard: { message: string } }>(query, {
      token: aal2.accessToken,
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.adminDashboard.message).toMatch(/Welcome, alice/);
  });

  it('refuses an admin mutation at aal1 as a whole, before it runs', async () => {
    const res = await server.gql(
      'mutation { createUser(input: { username: "never_made", password: "long enough" }) { id } }',
      { token: alice.accessToken },
    );
    expect(res.data ?? null).toBeNull();
    expect(firstError(res)).toEqual(MFA_REQUIRED);
  });

  it('says so in the descriptions of the fields it touches', async () => {
    const res = await server.gql<{
      __type: { fields: { name: string; description: string }[] };
    }>('{ __type(name: "Query") { fields { name description } } }');
    const described = Object.fromEntries(
      res.data!.__type.fields.map((f) => [f.name, f.description]),
    );
    expect(described.adminDashboard).toMatch(/Requires role: ADMIN\. Requires a second factor\./);
    expect(described.me).not.toMatch(/second factor/);
  });

  it('refuses to start with a role the server does not have, naming the variable', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: 'memory://',
      JWT_SECRET: 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
      MFA_REQUIRED_ROLES: 'ADMIN,EDITOR',
    });
    const error = await createServer(config).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ variable: 'MFA_REQUIRED_ROLES' });
    expect((error as Error).message).toMatch(/"EDITOR" is not a role/);
  });
});

describe('TOTP secrets and rotated signing keys', () => {
  it('stay readable after rotate-key and a restart: they are sealed under the configured key', async () => {
    // The same database across the restart: a DATA_DIR, or one PostgreSQL database and Redis.
    const backend = postgresBackendEnabled() ? await createTestBackend() : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'totp-rotation-'));
    const env = {
      ...(backend ? backend.env : { DATABASE_URL: '', DATA_DIR: dir }),
      LOGIN_MAX_FAILURES: '1000',
    };
    let server = await startTestServer(env);
    try {
      const before = await server.login('alice', 'secret123');
      const enrolled = await enrollTotp(server, before.accessToken);
      const { kid } = await server.app.services.rotateKey(0);
      await server.close();

      server = await startTestServer(env);
      const after = await server.login('alice', 'secret123');
      const header = JSON.parse(
        Buffer.from(after.accessToken.split('.')[0]!, 'base64url').toString(),
      ) as { kid: string };
      expect(header.kid).toBe(kid);
      const raised = await secondFactor(server, after.accessToken, enrolled);
      expect(claimsOf(raised.accessToken)).toMatchObject({ acr: 'aal2' });
    } finally {
      await server.close();
      await backend?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
