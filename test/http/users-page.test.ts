/**
 * `users` one page at a time, and the admin dashboard's counts, as a client meets them over HTTP
 * (docs/API.md, "Schema"): on the embedded database and, in the postgres+redis project, on
 * PostgreSQL.
 */
import { firstError, startTestServer, type TestServer } from '../support/harness';

interface Row {
  id: string;
  username: string;
  role: 'USER' | 'ADMIN';
  isActive: boolean;
  createdAt: string;
}

const USERS = `query ($first: Int, $after: ID, $search: String, $role: Role, $active: Boolean) {
  users(first: $first, after: $after, search: $search, role: $role, active: $active) {
    id username role isActive createdAt
  }
}`;
const EXTRA = 103; // with alice and bob: more than the default page of 100

let server: TestServer;
let alice: string;
beforeAll(async () => {
  server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' });
  alice = (await server.login('alice', 'secret123')).accessToken;
  for (let i = 0; i < EXTRA; i++) {
    const username = i % 10 === 0 ? `Page_Admin${i}` : `page.user${String(i).padStart(3, '0')}`;
    const role = i % 10 === 0 ? 'ADMIN' : 'USER';
    const res = await server.gql<{ createUser: { id: string } }>(
      'mutation ($u: String!, $r: Role!) { createUser(input: { username: $u, password: "password123", role: $r }) { id } }',
      { token: alice, variables: { u: username, r: role } },
    );
    expect(res.errors).toBeUndefined();
    if (i % 7 === 3) {
      const off = await server.gql(
        'mutation ($id: ID!) { setUserActive(id: $id, active: false) { id } }',
        { token: alice, variables: { id: res.data!.createUser.id } },
      );
      expect(off.errors).toBeUndefined();
    }
  }
}, 60_000);
afterAll(() => server.close());

async function page(variables: Record<string, unknown>): Promise<Row[]> {
  const res = await server.gql<{ users: Row[] }>(USERS, { token: alice, variables });
  expect(res.errors).toBeUndefined();
  return res.data!.users;
}

/** Every user, by following `after` from page to page. */
async function walk(variables: Record<string, unknown>, first: number): Promise<Row[]> {
  const all: Row[] = [];
  for (let after: string | undefined; ;) {
    const rows = await page({ ...variables, first, after });
    all.push(...rows);
    if (rows.length < first) return all;
    after = rows.at(-1)!.id;
  }
}

const byAge = (a: Row, b: Row) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1;

describe('users, one page at a time', () => {
  it('answers 100 users without arguments, oldest first', async () => {
    const rows = await page({});
    expect(rows).toHaveLength(100);
    expect(rows.map((r) => r.username).slice(0, 2)).toEqual(['alice', 'bob']);
    expect([...rows].sort(byAge)).toEqual(rows);
  });

  it('walks every user exactly once, in order, by passing the last id as after', async () => {
    const all = await page({ first: 500 });
    expect(all).toHaveLength(EXTRA + 2);
    const walked = await walk({}, 7);
    expect(walked).toEqual(all);
    expect(new Set(walked.map((r) => r.id)).size).toBe(all.length);
  });

  it('starts right after the given user', async () => {
    const all = await page({ first: 500 });
    expect(await page({ first: 3, after: all[41]!.id })).toEqual(all.slice(42, 45));
    expect(await page({ after: all.at(-1)!.id })).toEqual([]);
  });

  it('keeps a later page in place when users are created meanwhile', async () => {
    const first = await page({ first: 5 });
    const res = await server.gql(
      'mutation { createUser(input: { username: "page.latecomer", password: "password123" }) { id } }',
      { token: alice },
    );
    expect(res.errors).toBeUndefined();
    const all = await page({ first: 500 });
    expect(await page({ first: 5, after: first.at(-1)!.id })).toEqual(all.slice(5, 10));
    expect(all.at(-1)!.username).toBe('page.latecomer');
  });

  it('filters by username prefix, ignoring case, with _ and % taken literally', async () => {
    const admins = await page({ search: 'PAGE_', first: 500 });
    expect(admins.map((r) => r.username)).toEqual(
      Array.from({ length: 11 }, (_, k) => `Page_Admin${k * 10}`),
    );
    expect(await page({ search: 'page%' })).toEqual([]);
    expect(await page({ search: 'Page.User00', first: 500 })).toHaveLength(9);
  });

  it('filters by role and by active, and combines the filters', async () => {
    const all = await page({ first: 500 });
    expect(await walk({ role: 'ADMIN' }, 4)).toEqual(all.filter((r) => r.role === 'ADMIN'));
    expect(await page({ active: false, first: 500 })).toEqual(all.filter((r) => !r.isActive));
    expect(await walk({ role: 'USER', active: true, search: 'page.' }, 10)).toEqual(
      all.filter((r) => r.role === 'USER' && r.isActive && r.username.startsWith('page.')),
    );
  });

  it.each([
    ['more than 500', { first: 501 }],
    ['zero', { first: 0 }],
    ['a negative page size', { first: -1 }],
    ['an after that names no user', { after: '00000000-0000-4000-8000-000000000000' }],
    ['an after that is no id', { after: 'nope' }],
    ['a search longer than a username', { search: 'x'.repeat(65) }],
  ])('refuses %s with BAD_USER_INPUT', async (_what, variables) => {
    const res = await server.gql(USERS, { token: alice, variables });
    expect(res.data).toBeNull();
    expect(firstError(res)).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('takes the largest page, 500, and answers every user in it', async () => {
    const all = await page({ first: 500 });
    expect(all.length).toBeGreaterThan(100);
    expect(all).toEqual(await walk({}, 50));
  });
});

describe('the admin dashboard counts', () => {
  const dashboard = async () => {
    const res = await server.gql<{
      adminDashboard: { userCount: number; activeSessionCount: number };
    }>('{ adminDashboard { userCount activeSessionCount } }', { token: alice });
    expect(res.errors).toBeUndefined();
    return res.data!.adminDashboard;
  };

  it('counts every user, and follows logins, logouts and expiry', async () => {
    const before = await dashboard();
    expect(before.userCount).toBe((await page({ first: 500 })).length);

    const bob = await server.login('bob', 'password456');
    expect(await dashboard()).toEqual({
      ...before,
      activeSessionCount: before.activeSessionCount + 1,
    });

    const out = await server.gql('mutation { logout }', { token: bob.accessToken });
    expect(out.errors).toBeUndefined();
    expect(await dashboard()).toEqual(before);

    await server.login('bob', 'password456');
    server.clock.advance(8 * 24 * 3600); // past the refresh tokens' 7 days: every session expired
    const fresh = (await server.login('alice', 'secret123')).accessToken;
    const res = await server.gql<{ adminDashboard: { activeSessionCount: number } }>(
      '{ adminDashboard { activeSessionCount } }',
      { token: fresh },
    );
    expect(res.data?.adminDashboard.activeSessionCount).toBe(1);
  });
});
