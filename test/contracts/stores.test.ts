/**
 * The store contract (Lucia's adapter-test): every UserStore and SessionStore implementation
 * passes the same cases, on PGlite and — in the postgres+redis project — on PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { CachedUserStore } from '../../src/store/cached-user-store';
import { openDatabase, type Database } from '../../src/store/database';
import { migrate } from '../../src/store/migrations';
import {
  DuplicateEmail,
  DuplicateUsername,
  LastActiveAdmin,
  type NewUser,
  type SessionStore,
  type UserStore,
} from '../../src/store/ports';
import { SqlOneTimeCodeStore } from '../../src/store/sql-one-time-code-store';
import { SqlSecondFactorStore } from '../../src/store/sql-second-factor-store';
import { SqlSessionStore } from '../../src/store/sql-session-store';
import { SqlUserStore } from '../../src/store/sql-user-store';
import { canonicalUsername } from '../../src/auth/usernames';
import { templateBlob } from '../support/harness';
import { createTestDatabase, postgresBackendEnabled } from '../support/postgres';

let db: Database;
let cleanup: () => Promise<void>;
let clock = Date.parse('2026-11-24T12:00:00Z');
const now = () => clock;

beforeAll(async () => {
  if (postgresBackendEnabled()) {
    const database = await createTestDatabase();
    const handle = await openDatabase({ kind: 'postgres', url: database.url });
    await migrate(handle.db);
    db = handle.db;
    cleanup = async () => {
      await handle.close();
      await database.drop();
    };
  } else {
    const client = new PGlite({ loadDataDir: templateBlob() });
    db = drizzle({ client }) as unknown as Database;
    cleanup = () => client.close();
  }
});
afterAll(() => cleanup());

/** A new user's record as Accounts makes it: the canonical username beside the typed one. */
function newUser(username: string, passwordHash = 'h', role = 'USER'): NewUser {
  return { username, canonicalUsername: canonicalUsername(username)!, passwordHash, role };
}

const userStores: [string, () => UserStore][] = [
  ['SqlUserStore', () => new SqlUserStore(db)],
  [
    'CachedUserStore',
    () => new CachedUserStore(new SqlUserStore(db), { ttlMs: 60_000, maxEntries: 2, now }),
  ],
];

describe.each(userStores)('%s', (_name, make) => {
  const unique = () => `user_${randomUUID().slice(0, 8)}`;

  it('creates a user and finds it by id and by its canonical username', async () => {
    const store = make();
    const username = unique().toUpperCase();
    const user = await store.create(newUser(username));
    expect(user).toMatchObject({ username, role: 'USER', isActive: true });
    expect(await store.findById(user.id)).toEqual(user);
    expect(await store.findByCanonicalUsername(canonicalUsername(username)!)).toEqual(user);
  });

  it('refuses a second account with the same canonical username', async () => {
    const store = make();
    const username = unique();
    await store.create(newUser(username));
    await expect(store.create(newUser(username.toUpperCase()))).rejects.toBeInstanceOf(
      DuplicateUsername,
    );
  });

  it('answers undefined for an unknown or malformed id', async () => {
    const store = make();
    expect(await store.findById(randomUUID())).toBeUndefined();
    expect(await store.findById('not-a-uuid')).toBeUndefined();
    expect(await store.passwordHashOf('not-a-uuid')).toBeUndefined();
  });

  it('sees deactivation, reactivation and a new password hash at once', async () => {
    const store = make();
    const user = await store.create(newUser(unique(), 'old', 'USER'));
    await store.findById(user.id);
    expect((await store.setActive(user.id, false))?.isActive).toBe(false);
    expect((await store.findById(user.id))?.isActive).toBe(false);
    expect((await store.setActive(user.id, true))?.isActive).toBe(true);
    await store.setPasswordHash(user.id, 'new');
    expect(await store.passwordHashOf(user.id)).toBe('new');
  });

  it('keeps one account per canonical email, and verifies only the address it still has', async () => {
    const store = make();
    const canonical = `${unique()}@example.com`;
    const user = await store.create({
      ...newUser(unique()),
      email: canonical.toUpperCase(),
      canonicalEmail: canonical,
    });
    expect(user).toMatchObject({ email: canonical.toUpperCase(), emailVerified: false });
    expect((await store.findByCanonicalEmail(canonical))?.id).toBe(user.id);
    await expect(
      store.create({ ...newUser(unique()), email: canonical, canonicalEmail: canonical }),
    ).rejects.toBeInstanceOf(DuplicateEmail);
    // Accounts without an address do not collide.
    await store.create(newUser(unique()));
    await store.create(newUser(unique()));
    expect(await store.markEmailVerified(user.id, 'other@example.com')).toBeUndefined();
    expect((await store.markEmailVerified(user.id, canonical))?.emailVerified).toBe(true);
    expect((await store.findById(user.id))?.emailVerified).toBe(true);
  });

  it('changes a role, and the change is seen at once', async () => {
    const store = make();
    const user = await store.create(newUser(unique()));
    await store.findById(user.id);
    expect((await store.setRole(user.id, 'ADMIN'))?.role).toBe('ADMIN');
    expect((await store.findById(user.id))?.role).toBe('ADMIN');
    await store.create(newUser(unique(), 'h', 'ADMIN')); // not the last admin, then
    expect((await store.setRole(user.id, 'USER'))?.role).toBe('USER');
    expect(await store.setRole(randomUUID(), 'USER')).toBeUndefined();
  });
});

describe.each(userStores)('%s and the last active ADMIN', (_name, make) => {
  const admin = async (store: UserStore) =>
    store.create(newUser(`a_${randomUUID().slice(0, 8)}`, 'h', 'ADMIN'));
  // Each case starts with no active admin but its own (earlier cases leave theirs behind).
  beforeEach(() => db.execute(sql`UPDATE users SET is_active = false WHERE role = 'ADMIN'`));

  it('refuses to deactivate the only active ADMIN, and deactivates one of two', async () => {
    const store = make();
    const [one, two] = [await admin(store), await admin(store)];
    expect((await store.setActive(one.id, false))?.isActive).toBe(false);
    await expect(store.setActive(two.id, false)).rejects.toBeInstanceOf(LastActiveAdmin);
    expect((await store.findById(two.id))?.isActive).toBe(true);
    const user = await store.create(newUser(`u_${randomUUID().slice(0, 8)}`));
    expect((await store.setActive(user.id, false))?.isActive).toBe(false);
  });

  it('lets exactly one of two concurrent deactivations of the last two admins succeed', async () => {
    const store = make();
    const [one, two] = [await admin(store), await admin(store)];
    const results = await Promise.allSettled([
      store.setActive(one.id, false),
      store.setActive(two.id, false),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(LastActiveAdmin);
    const active = [await store.findById(one.id), await store.findById(two.id)].filter(
      (u) => u?.isActive,
    );
    expect(active).toHaveLength(1);
  });

  it('refuses to demote the only active ADMIN, also racing a deactivation of the other', async () => {
    const store = make();
    const only = await admin(store);
    await expect(store.setRole(only.id, 'USER')).rejects.toBeInstanceOf(LastActiveAdmin);
    const two = await admin(store);
    const results = await Promise.allSettled([
      store.setRole(only.id, 'USER'),
      store.setActive(two.id, false),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const admins = [await store.findById(only.id), await store.findById(two.id)].filter(
      (u) => u?.isActive && u.role === 'ADMIN',
    );
    expect(admins).toHaveLength(1);
  });
});

describe('CachedUserStore', () => {
  it('never trusts a cached "inactive": a user reactivated elsewhere is seen at once', async () => {
    const direct = new SqlUserStore(db);
    const cached = new CachedUserStore(direct, { ttlMs: 60_000, maxEntries: 10, now });
    const user = await cached.create(newUser(`c_${randomUUID().slice(0, 8)}`));
    await cached.setActive(user.id, false);
    await direct.setActive(user.id, true); // another instance
    expect((await cached.findById(user.id))?.isActive).toBe(true);
  });

  it('reads the password hash from the database, never from the cache', async () => {
    const direct = new SqlUserStore(db);
    const cached = new CachedUserStore(direct, { ttlMs: 60_000, maxEntries: 10, now });
    const user = await cached.create(newUser(`c_${randomUUID().slice(0, 8)}`, 'old', 'USER'));
    await cached.findById(user.id);
    await direct.setPasswordHash(user.id, 'changed-elsewhere');
    expect(await cached.passwordHashOf(user.id)).toBe('changed-elsewhere');
  });
});

describe('SqlSessionStore', () => {
  let users: UserStore;
  let sessions: SessionStore;
  let userId: string;
  const token = (hash: string, ttlMs = 3_600_000) => ({ hash, expiresAt: new Date(clock + ttlMs) });

  beforeAll(async () => {
    users = new SqlUserStore(db);
    sessions = new SqlSessionStore(db);
    userId = (await users.create(newUser(`s_${randomUUID().slice(0, 8)}`))).id;
  });

  async function newSession(first: string): Promise<string> {
    const id = randomUUID();
    await sessions.create({ id, userId, createdAt: new Date(clock) }, token(first));
    return id;
  }

  it('rotates a current token once; the retired one is reissued inside the interval, then reused', async () => {
    const id = await newSession('t1');
    expect(await sessions.rotate('t1', token('t2'), new Date(clock), 10)).toMatchObject({
      outcome: 'rotated',
      sessionId: id,
    });
    expect(await sessions.rotate('t1', token('t3'), new Date(clock + 5_000), 10)).toMatchObject({
      outcome: 'reissued',
      sessionId: id,
    });
    expect(await sessions.rotate('t1', token('t4'), new Date(clock + 11_000), 10)).toMatchObject({
      outcome: 'reused',
      sessionId: id,
    });
    expect(await sessions.isLive(id, new Date(clock + 11_000))).toBe(false);
    expect(await sessions.rotate('t2', token('t5'), new Date(clock + 12_000), 10)).toEqual({
      outcome: 'session-ended',
    });
  });

  it('extends the session to the new token, which rotates in turn', async () => {
    const id = await newSession('e1');
    const later = new Date(clock + 2 * 3_600_000); // past e1's expiry, before e2's
    await sessions.rotate('e1', token('e2', 3 * 3_600_000), new Date(clock), 10);
    expect(await sessions.isLive(id, later)).toBe(true);
    expect(await sessions.rotate('e2', token('e3'), later, 10)).toMatchObject({
      outcome: 'rotated',
      sessionId: id,
      userId,
    });
  });

  it('refuses the current token of a revoked session, and issues nothing', async () => {
    const id = await newSession('v1');
    await sessions.revoke([id], new Date(clock));
    expect(await sessions.rotate('v1', token('v2'), new Date(clock), 10)).toEqual({
      outcome: 'session-ended',
    });
    expect(await sessions.rotate('v2', token('v3'), new Date(clock), 10)).toEqual({
      outcome: 'unknown',
    });
  });

  it('raises a live session to aal2 with a new token, and rotation keeps the level', async () => {
    const id = await newSession('l1');
    expect(await sessions.rotate('l1', token('l2'), new Date(clock), 0)).toMatchObject({
      outcome: 'rotated',
      level: 'aal1',
    });
    expect(await sessions.raiseLevel(id, randomUUID(), token('l3'), new Date(clock))).toBe(false);
    expect(await sessions.raiseLevel(id, userId, token('l3'), new Date(clock))).toBe(true);
    // The token of the password alone was retired: presenting it again is reuse.
    expect(await sessions.rotate('l3', token('l4'), new Date(clock), 0)).toMatchObject({
      outcome: 'rotated',
      sessionId: id,
      level: 'aal2',
    });
    expect(await sessions.rotate('l4', token('l5'), new Date(clock), 10)).toMatchObject({
      level: 'aal2',
    });
    expect(await sessions.rotate('l4', token('l6'), new Date(clock + 1000), 10)).toMatchObject({
      outcome: 'reissued',
      level: 'aal2',
    });
    expect(await sessions.rotate('l2', token('l7'), new Date(clock), 0)).toMatchObject({
      outcome: 'reused',
    });
    expect(await sessions.raiseLevel(id, userId, token('l8'), new Date(clock))).toBe(false);
  });

  it('lets exactly one of concurrent rotations of one token win', async () => {
    await newSession('race');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sessions.rotate('race', token(`race-${i}`), new Date(clock), 0),
      ),
    );
    expect(results.filter((r) => r.outcome === 'rotated')).toHaveLength(1);
  });

  it('tells unknown and expired tokens apart', async () => {
    await newSession('short');
    expect(await sessions.rotate('nope', token('x1'), new Date(clock), 10)).toEqual({
      outcome: 'unknown',
    });
    const later = new Date(clock + 2 * 3_600_000);
    expect(await sessions.rotate('short', token('x2'), later, 10)).toEqual({ outcome: 'expired' });
  });

  it('revokes one session, all but one, and lists recent revocations', async () => {
    const [a, b, c] = [await newSession('ra'), await newSession('rb'), await newSession('rc')];
    expect(await sessions.revoke([a], new Date(clock))).toEqual([a]);
    expect(await sessions.revoke([a], new Date(clock))).toEqual([]);
    expect((await sessions.revokeUserSessions(userId, new Date(clock), c)).sort()).toContain(b);
    expect(await sessions.isLive(c, new Date(clock))).toBe(true);
    const recent = (await sessions.revokedSince(new Date(clock - 1000))).map((r) => r.id);
    expect(recent).toEqual(expect.arrayContaining([a, b]));
    expect(await sessions.findLiveByRefreshToken('rc', new Date(clock))).toEqual({
      sessionId: c,
      userId,
      retiredAt: null,
    });
  });

  it('lists live sessions, the last used first, with the client of their last use', async () => {
    const owner = (await users.create(newUser(`l_${randomUUID().slice(0, 8)}`))).id;
    const [a, b] = [randomUUID(), randomUUID()];
    const client = { address: '203.0.113.7', userAgent: 'x'.repeat(1000) };
    await sessions.create(
      { id: a, userId: owner, createdAt: new Date(clock), client },
      token('la'),
    );
    await sessions.create({ id: b, userId: owner, createdAt: new Date(clock + 1) }, token('lb'));
    expect((await sessions.listLive(owner, new Date(clock + 2), 10)).map((s) => s.id)).toEqual([
      b,
      a,
    ]);
    const refreshedBy = { address: '198.51.100.9', userAgent: 'curl/8' };
    await sessions.rotate('la', token('la2'), new Date(clock + 5), 10, refreshedBy);
    const [first, second] = await sessions.listLive(owner, new Date(clock + 6), 10);
    expect(first).toEqual({
      id: a,
      userId: owner,
      createdAt: new Date(clock),
      lastUsedAt: new Date(clock + 5),
      clientAddress: '198.51.100.9',
      userAgent: 'curl/8',
    });
    expect(second?.clientAddress).toBeNull();
    expect(await sessions.listLive(owner, new Date(clock + 6), 1)).toHaveLength(1);
    expect((await sessions.findLive(b, new Date(clock + 6)))?.userId).toBe(owner);
    await sessions.revoke([b], new Date(clock + 7));
    expect(await sessions.findLive(b, new Date(clock + 8))).toBeUndefined();
    expect(await sessions.findLive('not-a-uuid', new Date(clock))).toBeUndefined();
    expect((await sessions.listLive(owner, new Date(clock + 8), 10)).map((s) => s.id)).toEqual([a]);
  });

  it('prunes ended sessions older than the horizon, in bounded batches', async () => {
    const old = await newSession('old');
    await sessions.revoke([old], new Date(clock));
    clock += 24 * 3_600_000;
    const pruned = await sessions.prune(new Date(clock), 1000);
    expect(pruned).toBeGreaterThan(0);
    expect(await sessions.findLiveByRefreshToken('old', new Date(clock))).toBeUndefined();
    expect(await sessions.revokedSince(new Date(0))).not.toContainEqual(
      expect.objectContaining({ id: old }),
    );
  });
});

describe('SqlOneTimeCodeStore', () => {
  const codes = () => new SqlOneTimeCodeStore(db);
  let userId: string;
  const code = (
    hash: string,
    purpose: 'INVITE' | 'VERIFY_EMAIL' | 'RESET_PASSWORD',
    ttlMs = 60_000,
  ) => ({
    hash,
    purpose,
    userId: purpose === 'INVITE' ? undefined : userId,
    role: purpose === 'INVITE' ? 'USER' : undefined,
    createdAt: new Date(clock),
    expiresAt: new Date(clock + ttlMs),
  });

  beforeAll(async () => {
    userId = (await new SqlUserStore(db).create(newUser(`o_${randomUUID().slice(0, 8)}`))).id;
  });

  it('gives a code once, for its purpose, before it expires', async () => {
    const store = codes();
    const hash = randomUUID();
    await store.add(code(hash, 'INVITE'));
    expect(await store.consume(hash, 'RESET_PASSWORD', new Date(clock))).toBeUndefined();
    expect(await store.consume(hash, 'INVITE', new Date(clock))).toMatchObject({
      hash,
      purpose: 'INVITE',
      role: 'USER',
    });
    expect(await store.consume(hash, 'INVITE', new Date(clock))).toBeUndefined();
    await store.release(hash);
    expect(await store.consume(hash, 'INVITE', new Date(clock))).toBeDefined();
    const short = randomUUID();
    await store.add(code(short, 'VERIFY_EMAIL', 1000));
    expect(await store.consume(short, 'VERIFY_EMAIL', new Date(clock + 1000))).toBeUndefined();
  });

  it('lets exactly one of concurrent uses of a code win', async () => {
    const store = codes();
    const hash = randomUUID();
    await store.add(code(hash, 'RESET_PASSWORD'));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.consume(hash, 'RESET_PASSWORD', new Date(clock))),
    );
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('leaves one usable code of concurrent replaces for one user and purpose', async () => {
    const store = codes();
    const hashes = Array.from({ length: 6 }, () => randomUUID());
    await Promise.all(
      hashes.map((hash) => store.replace({ ...code(hash, 'VERIFY_EMAIL'), userId })),
    );
    const usable = [];
    for (const hash of hashes) {
      if (await store.consume(hash, 'VERIFY_EMAIL', new Date(clock))) usable.push(hash);
    }
    expect(usable).toHaveLength(1);
  });

  it("retires a user's codes of one purpose for good, and prunes used and expired ones", async () => {
    const store = codes();
    const [reset, inUse, verify] = [randomUUID(), randomUUID(), randomUUID()];
    await store.add(code(reset, 'RESET_PASSWORD'));
    await store.add(code(inUse, 'RESET_PASSWORD'));
    await store.add(code(verify, 'VERIFY_EMAIL'));
    // A code being used (consumed, its use not done) when a newer one replaces it stays dead,
    // even if its use fails and gives it back.
    expect(await store.consume(inUse, 'RESET_PASSWORD', new Date(clock))).toBeDefined();
    await store.retire(userId, 'RESET_PASSWORD');
    await store.release(inUse);
    expect(await store.consume(inUse, 'RESET_PASSWORD', new Date(clock))).toBeUndefined();
    expect(await store.consume(reset, 'RESET_PASSWORD', new Date(clock))).toBeUndefined();
    expect(await store.consume(verify, 'VERIFY_EMAIL', new Date(clock))).toBeDefined();
    expect(await store.prune(new Date(clock + 120_000), 1000)).toBeGreaterThanOrEqual(1);
  });
});

describe('SqlSecondFactorStore', () => {
  const factors = () => new SqlSecondFactorStore(db);
  const newUserId = async () =>
    (await new SqlUserStore(db).create(newUser(`f_${randomUUID().slice(0, 8)}`))).id;
  const at = new Date(clock);

  it('keeps a factor pending until confirmed, replacing a pending one, never a confirmed one', async () => {
    const store = factors();
    const userId = await newUserId();
    expect(await store.find(userId)).toBeUndefined();
    expect(await store.savePending(userId, 'sealed-1', at)).toBe(true);
    expect(await store.savePending(userId, 'sealed-2', at)).toBe(true);
    expect(await store.find(userId)).toMatchObject({ secret: 'sealed-2', confirmedAt: null });
    expect(await store.confirmedAmong([userId])).toEqual(new Set());
    // Only the secret whose code was checked is confirmed.
    expect(await store.confirm(userId, 'sealed-1', 100, ['a', 'b'], at)).toBe(false);
    expect(await store.confirm(userId, 'sealed-2', 100, ['a', 'b'], at)).toBe(true);
    expect(await store.confirm(userId, 'sealed-2', 101, ['c'], at)).toBe(false);
    expect(await store.savePending(userId, 'sealed-3', at)).toBe(false);
    expect(await store.find(userId)).toMatchObject({ secret: 'sealed-2', lastStep: 100 });
    expect(await store.confirmedAmong([userId, randomUUID(), 'not-a-uuid'])).toEqual(
      new Set([userId]),
    );
  });

  it('accepts each time step once, and none at or below the last', async () => {
    const store = factors();
    const userId = await newUserId();
    await store.savePending(userId, 's', at);
    expect(await store.useStep(userId, 200)).toBe(false); // pending: not yet a factor
    await store.confirm(userId, 's', 100, [], at);
    expect(await store.useStep(userId, 100)).toBe(false);
    expect(await store.useStep(userId, 99)).toBe(false);
    expect(await store.useStep(userId, 101)).toBe(true);
    expect(await store.useStep(userId, 101)).toBe(false);
    const results = await Promise.all(Array.from({ length: 6 }, () => store.useStep(userId, 102)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('uses a recovery code once, only its own user, and removes everything on disable', async () => {
    const store = factors();
    const [userId, other] = [await newUserId(), await newUserId()];
    await store.savePending(userId, 's', at);
    await store.confirm(userId, 's', 1, ['r1', 'r2'], at);
    expect(await store.useRecoveryCode(other, 'r1', at)).toBe(false);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => store.useRecoveryCode(userId, 'r1', at)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.useRecoveryCode(userId, 'r2', at)).toBe(true);
    // A new confirmation replaces the codes.
    expect(await store.remove(userId)).toBe(true);
    expect(await store.remove(userId)).toBe(false);
    expect(await store.find(userId)).toBeUndefined();
    await store.savePending(userId, 't', at);
    await store.confirm(userId, 't', 5, ['r3'], at);
    expect(await store.useRecoveryCode(userId, 'r2', at)).toBe(false);
    expect(await store.useRecoveryCode(userId, 'r3', at)).toBe(true);
  });
});
