/**
 * Sessions and Accounts over the real SQL stores on an in-memory PGlite, with no GraphQL and
 * a clock the tests move (docs/API.md, "Tokens"): login, rotation, reuse, logout, password
 * changes and deactivation, each checked through the revocation list as a request would be.
 */
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database } from '../../store/database';
import { SqlAuditStore } from '../../store/audit-store';
import { MemoryFailureCounter } from '../../store/failure-counter';
import { migrate } from '../../store/migrations';
import { MemoryRevocationList } from '../../store/revocations';
import { SqlOneTimeCodeStore } from '../../store/sql-one-time-code-store';
import { SqlSessionStore } from '../../store/sql-session-store';
import { SqlUserStore } from '../../store/sql-user-store';
import { CLOCK_TOLERANCE_SECONDS, type Principal } from '../access-tokens';
import { Accounts } from '../accounts';
import { AuditLog } from '../audit';
import { authenticate } from '../authenticate';
import type { ClientInfo } from '../client';
import type { AuthDeps } from '../deps';
import { Forbidden, Unauthenticated } from '../errors';
import { loadSigningKeys } from '../keys';
import { PasswordHasher } from '../passwords';
import { Sessions, type TokenPair } from '../sessions';
import { thrownBy } from '../../__tests__/support/thrown-by';

const ACCESS_TTL = 900;
const REFRESH_TTL = 3600;
const REUSE_INTERVAL = 10;
const CLIENT: ClientInfo = { address: '192.0.2.1', requestId: 'sessions-test' };

let client: PGlite;
let deps: AuthDeps;
let revocations: MemoryRevocationList;
let sessions: Sessions;
let accounts: Accounts;
let nowMs = Date.UTC(2030, 0, 1);
const advance = (seconds: number) => void (nowMs += seconds * 1000);

/** The migrated template of test/support/global-setup.ts (src may not import test helpers). */
function templateBlob(): Blob | undefined {
  const file = process.env.PGLITE_TEMPLATE_FILE;
  return file ? new Blob([readFileSync(file)]) : undefined;
}

beforeAll(async () => {
  const template = templateBlob();
  client = new PGlite(template ? { loadDataDir: template } : {});
  const db = drizzle({ client }) as unknown as Database;
  await migrate(db);
  revocations = new MemoryRevocationList();
  deps = {
    users: new SqlUserStore(db),
    sessions: new SqlSessionStore(db),
    revocations,
    hasher: new PasswordHasher(4),
    accessTokens: {
      keys: loadSigningKeys({
        algorithm: 'HS256',
        secret: 'unit-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
        privateKeyFile: undefined,
        secretDir: undefined,
      }),
      issuer: 'test-issuer',
      audience: 'test-audience',
      ttlSeconds: ACCESS_TTL,
    },
    refreshTokenTtlSeconds: REFRESH_TTL,
    refreshReuseIntervalSeconds: REUSE_INTERVAL,
    failureCounter: new MemoryFailureCounter(),
    audit: new AuditLog(
      new SqlAuditStore(db),
      () => nowMs,
      () => undefined,
    ),
    loginLimits: {
      perPair: 1000,
      perUsername: 1000,
      perAddress: 1000,
      refreshPerAddress: 1000,
      windowSeconds: 900,
    },
    codes: new SqlOneTimeCodeStore(db),
    mailer: { send: async () => undefined, close: async () => undefined },
    background: { run: (_what, job) => void job() },
    accountOptions: {
      signup: 'closed',
      signupPerAddress: 1000,
      mailPerAccount: 1000,
      mailPerAddress: 1000,
      windowSeconds: 900,
      emailTokenTtlSeconds: 3600,
      resetTokenTtlSeconds: 3600,
      publicUrl: 'http://localhost:4000',
      mailEnabled: true,
    },
    now: () => nowMs,
  };
  sessions = new Sessions(deps);
  accounts = new Accounts(deps, sessions);
});
afterAll(() => client.close());

let userCounter = 0;
/** A fresh account: its username, password and id. */
async function newUser(role: 'USER' | 'ADMIN' = 'USER') {
  const username = `user${++userCounter}`;
  const password = `${username}-password`;
  const user = await accounts.createUser({ username, password, role });
  return { username, password, id: user.id };
}

/** The principal of an access token, as a request would see it (revocation included). */
const principalOf = (pair: Pick<TokenPair, 'accessToken'>): Principal =>
  authenticate(deps, `Bearer ${pair.accessToken}`);

const REVOKED = { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' };
const INVALID = { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' };
const INVALID_CREDENTIALS = { code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' };
/** A request without a token, as RequestAuth reports it. */
const ANONYMOUS = new Unauthenticated('TOKEN_MISSING');

function expectSessionEnded(pair: TokenPair): Promise<void> {
  expect(thrownBy(() => principalOf(pair))).toMatchObject(REVOKED);
  return expect(sessions.refresh(pair.refreshToken, CLIENT)).rejects.toMatchObject(REVOKED);
}

describe('login', () => {
  it('starts a session: an access token naming the user and a new session, and a refresh token', async () => {
    const { username, password, id } = await newUser();
    const pair = await sessions.login(username, password, CLIENT);
    expect(pair).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: ACCESS_TTL,
      refreshExpiresIn: REFRESH_TTL,
    });
    expect(principalOf(pair)).toMatchObject({ userId: id, role: 'USER' });
    const other = await sessions.login(username, password, CLIENT);
    expect(principalOf(other).sessionId).not.toBe(principalOf(pair).sessionId);
  });

  it('finds the username regardless of case', async () => {
    const { username, password, id } = await newUser();
    const pair = await sessions.login(username.toUpperCase(), password, CLIENT);
    expect(principalOf(pair).userId).toBe(id);
  });

  it('refuses an unknown username and a wrong password with the same error', async () => {
    const { username } = await newUser();
    // Settled one at a time: a second rejected promise left waiting would be unhandled.
    const unknown = await sessions.login('nobody', 'whatever-password', CLIENT).catch(String);
    const wrong = await sessions.login(username, 'whatever-password', CLIENT).catch(String);
    expect(unknown).toBe(wrong);
    await expect(sessions.login('nobody', 'whatever-password', CLIENT)).rejects.toMatchObject(
      INVALID_CREDENTIALS,
    );
    await expect(sessions.login(username, 'whatever-password', CLIENT)).rejects.toMatchObject(
      INVALID_CREDENTIALS,
    );
  });

  it('refuses a deactivated account with FORBIDDEN only after a correct password', async () => {
    const admin = await newUser('ADMIN');
    const { username, password, id } = await newUser();
    const adminPair = await sessions.login(admin.username, admin.password, CLIENT);
    await accounts.setUserActive(id, false, principalOf(adminPair));
    await expect(sessions.login(username, password, CLIENT)).rejects.toBeInstanceOf(Forbidden);
    await expect(sessions.login(username, 'wrong-password', CLIENT)).rejects.toMatchObject(
      INVALID_CREDENTIALS,
    );
  });
});

describe('refresh', () => {
  it('rotates: a new pair of the same session', async () => {
    const { username, password } = await newUser();
    const first = await sessions.login(username, password, CLIENT);
    const next = await sessions.refresh(first.refreshToken, CLIENT);
    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect(principalOf(next).sessionId).toBe(principalOf(first).sessionId);
    await expect(sessions.refresh(next.refreshToken, CLIENT)).resolves.toMatchObject({
      tokenType: 'Bearer',
    });
  });

  it('reissues for a token retired less than the reuse interval ago', async () => {
    const { username, password } = await newUser();
    const first = await sessions.login(username, password, CLIENT);
    const a = await sessions.refresh(first.refreshToken, CLIENT);
    advance(REUSE_INTERVAL - 1);
    const b = await sessions.refresh(first.refreshToken, CLIENT);
    expect(b.refreshToken).not.toBe(a.refreshToken);
    expect(principalOf(b).sessionId).toBe(principalOf(first).sessionId);
    expect(principalOf(a).sessionId).toBe(principalOf(first).sessionId);
  });

  it('revokes the whole session when a retired token is reused after the interval', async () => {
    const { username, password } = await newUser();
    const first = await sessions.login(username, password, CLIENT);
    const second = await sessions.refresh(first.refreshToken, CLIENT);
    const third = await sessions.refresh(second.refreshToken, CLIENT);
    const sid = principalOf(first).sessionId;
    advance(REUSE_INTERVAL);
    await expect(sessions.refresh(first.refreshToken, CLIENT)).rejects.toMatchObject(REVOKED);
    expect(revocations.isRevoked(sid, Math.floor(nowMs / 1000))).toBe(true);
    for (const pair of [first, second, third]) {
      expect(thrownBy(() => principalOf(pair))).toMatchObject(REVOKED);
    }
    await expect(sessions.refresh(third.refreshToken, CLIENT)).rejects.toMatchObject(REVOKED);
    // Presenting the reused token again changes nothing.
    await expect(sessions.refresh(first.refreshToken, CLIENT)).rejects.toMatchObject(REVOKED);
  });

  it('refuses an expired refresh token: TOKEN_EXPIRED', async () => {
    const { username, password } = await newUser();
    const pair = await sessions.login(username, password, CLIENT);
    advance(REFRESH_TTL);
    await expect(sessions.refresh(pair.refreshToken, CLIENT)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_EXPIRED',
    });
  });

  it.each([
    ['a malformed token', 'not a token'],
    ['an unknown token', 'C'.repeat(43)],
    ['an empty string', ''],
  ])('refuses %s: TOKEN_INVALID', async (_name, token) => {
    await expect(sessions.refresh(token, CLIENT)).rejects.toMatchObject(INVALID);
  });

  it('lets at most one of 10 concurrent refreshes with one token succeed when the interval is 0', async () => {
    const strict = new Sessions({ ...deps, refreshReuseIntervalSeconds: 0 });
    const { username, password } = await newUser();
    const pair = await strict.login(username, password, CLIENT);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => strict.refresh(pair.refreshToken, CLIENT)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won.length).toBeLessThanOrEqual(1);
    for (const lost of results.filter((r) => r.status === 'rejected')) {
      expect(lost.reason).toBeInstanceOf(Unauthenticated);
    }
  });

  it('refuses the session of a user deactivated behind its back: TOKEN_REVOKED', async () => {
    const { username, password, id } = await newUser();
    const pair = await sessions.login(username, password, CLIENT);
    await deps.users.setActive(id, false); // the store alone: no session ended
    await expect(sessions.refresh(pair.refreshToken, CLIENT)).rejects.toMatchObject(REVOKED);
    await expect(accounts.currentUser(principalOf(pair))).rejects.toMatchObject(REVOKED);
  });
});

describe('logout', () => {
  it('ends the session of the Bearer principal', async () => {
    const { username, password } = await newUser();
    const pair = await sessions.login(username, password, CLIENT);
    const other = await sessions.login(username, password, CLIENT);
    await expect(sessions.logout(principalOf(pair), undefined, false)).resolves.toBe(true);
    await expectSessionEnded(pair);
    expect(() => principalOf(other)).not.toThrow();
  });

  it('ends the session of a refresh token, current or just retired', async () => {
    const { username, password } = await newUser();
    const first = await sessions.login(username, password, CLIENT);
    const next = await sessions.refresh(first.refreshToken, CLIENT);
    await expect(sessions.logout(ANONYMOUS, first.refreshToken, false)).resolves.toBe(true);
    await expectSessionEnded(next);
  });

  it('refuses neither token: the reason the Bearer token had', async () => {
    await expect(sessions.logout(ANONYMOUS, undefined, false)).rejects.toMatchObject({
      reason: 'TOKEN_MISSING',
    });
    const expired = new Unauthenticated('TOKEN_EXPIRED');
    await expect(sessions.logout(expired, undefined, false)).rejects.toMatchObject({
      reason: 'TOKEN_EXPIRED',
    });
  });

  it('refuses an unknown or ended refresh token: TOKEN_INVALID', async () => {
    await expect(sessions.logout(ANONYMOUS, 'D'.repeat(43), false)).rejects.toMatchObject(INVALID);
    const { username, password } = await newUser();
    const pair = await sessions.login(username, password, CLIENT);
    await sessions.logout(ANONYMOUS, pair.refreshToken, false);
    await expect(sessions.logout(ANONYMOUS, pair.refreshToken, false)).rejects.toMatchObject(
      INVALID,
    );
  });

  it('ends every session of the user with allSessions, and no other user’s', async () => {
    const a = await newUser();
    const b = await newUser();
    const a1 = await sessions.login(a.username, a.password, CLIENT);
    const a2 = await sessions.login(a.username, a.password, CLIENT);
    const b1 = await sessions.login(b.username, b.password, CLIENT);
    await sessions.logout(principalOf(a1), undefined, true);
    await expectSessionEnded(a1);
    await expectSessionEnded(a2);
    expect(principalOf(b1).userId).toBe(b.id);
  });

  it('keeps the session listed as revoked only while its access tokens could live', async () => {
    const { username, password } = await newUser();
    const pair = await sessions.login(username, password, CLIENT);
    const sid = principalOf(pair).sessionId;
    await sessions.logout(principalOf(pair), undefined, false);
    const at = (offset: number) => Math.floor(nowMs / 1000) + offset;
    expect(revocations.isRevoked(sid, at(ACCESS_TTL))).toBe(true);
    expect(revocations.isRevoked(sid, at(ACCESS_TTL + CLOCK_TOLERANCE_SECONDS + 1))).toBe(false);
  });
});

describe('accounts', () => {
  it('changes a password with the current one, keeping this session and ending the others', async () => {
    const { username, password } = await newUser();
    const current = await sessions.login(username, password, CLIENT);
    const other = await sessions.login(username, password, CLIENT);
    const me = principalOf(current);

    await expect(
      accounts.changePassword(me, 'wrong-password', 'new-password-1'),
    ).rejects.toMatchObject(INVALID_CREDENTIALS);
    await expect(accounts.changePassword(me, password, 'short')).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(principalOf(other).userId).toBe(me.userId); // failures end nothing

    await expect(accounts.changePassword(me, password, 'new-password-1')).resolves.toBe(true);
    expect(principalOf(current).sessionId).toBe(me.sessionId);
    await expect(sessions.refresh(current.refreshToken, CLIENT)).resolves.toBeDefined();
    await expectSessionEnded(other);
    await expect(sessions.login(username, password, CLIENT)).rejects.toMatchObject(
      INVALID_CREDENTIALS,
    );
    await expect(sessions.login(username, 'new-password-1', CLIENT)).resolves.toBeDefined();
  });

  it('deactivation ends every session; reactivation allows login again', async () => {
    const admin = await newUser('ADMIN');
    const adminPrincipal = principalOf(
      await sessions.login(admin.username, admin.password, CLIENT),
    );
    const { username, password, id } = await newUser();
    const one = await sessions.login(username, password, CLIENT);
    const two = await sessions.login(username, password, CLIENT);
    await expect(accounts.setUserActive(id, false, adminPrincipal)).resolves.toMatchObject({
      isActive: false,
    });
    await expectSessionEnded(one);
    await expectSessionEnded(two);
    await accounts.setUserActive(id, true, adminPrincipal);
    await expect(sessions.login(username, password, CLIENT)).resolves.toBeDefined();
  });

  it('refuses an admin deactivating their own account, and an unknown id: BAD_USER_INPUT', async () => {
    const admin = await newUser('ADMIN');
    const principal = principalOf(await sessions.login(admin.username, admin.password, CLIENT));
    await expect(accounts.setUserActive(admin.id, false, principal)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      await expect(accounts.setUserActive(id, false, principal)).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
      });
    }
  });

  it.each([
    [
      'a duplicate username in another case',
      (taken: string) => taken.toUpperCase(),
      'long-password-1',
    ],
    ['a username of 2 characters', () => 'ab', 'long-password-1'],
    ['a username with a space', () => 'two words', 'long-password-1'],
    ['a password of 7 characters', () => 'fresh-name-7', '1234567'],
    ['a password of 257 characters', () => 'fresh-name-257', 'x'.repeat(257)],
  ])('refuses to create a user with %s: BAD_USER_INPUT', async (_name, username, password) => {
    const { username: taken } = await newUser();
    await expect(
      accounts.createUser({ username: username(taken), password, role: 'USER' }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('counts users and live sessions on the dashboard', async () => {
    const admin = await newUser('ADMIN');
    const pair = await sessions.login(admin.username, admin.password, CLIENT);
    const before = await accounts.dashboard(principalOf(pair));
    expect(before.message).toBe(`Welcome, ${admin.username}. Here's the admin dashboard.`);
    const extra = await sessions.login(admin.username, admin.password, CLIENT);
    await newUser();
    const during = await accounts.dashboard(principalOf(pair));
    expect(during).toMatchObject({
      userCount: before.userCount + 1,
      activeSessionCount: before.activeSessionCount + 1,
    });
    await sessions.logout(principalOf(extra), undefined, false);
    expect((await accounts.dashboard(principalOf(pair))).activeSessionCount).toBe(
      before.activeSessionCount,
    );
  });
});
