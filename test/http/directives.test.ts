/**
 * The guard directives as a client meets them over HTTP (docs/API.md, "Authorization rules").
 *
 * Every root field of the schema is non-null, so a refused root field bubbles to `data: null`
 * (GraphQL spec, "Handling Field Errors"): a query mixing a public and a refused root field
 * cannot show a partial result here. The partial results themselves, on nullable fields, are
 * pinned in src/schema/directives/__tests__/enforce-guards.test.ts.
 */
import { isObjectType, type GraphQLFieldResolver, type GraphQLResolveInfo } from 'graphql';
import type { Principal } from '../../src/auth/access-tokens';
import { Forbidden, Unauthenticated } from '../../src/auth/errors';
import { buildAuthSchema } from '../../src/schema/build-schema';
import { firstError, startTestServer, type TestServer } from '../support/harness';

let server: TestServer;
let alice: string;
let bob: string;
beforeAll(async () => {
  server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' });
  alice = (await server.login('alice', 'secret123')).accessToken;
  bob = (await server.login('bob', 'password456')).accessToken;
});
afterAll(() => server.close());

const FORBIDDEN = { code: 'FORBIDDEN' };

/** What alice, the admin, sees: the live session count and the usernames. */
async function adminView(): Promise<{ sessions: number; usernames: string[] }> {
  const res = await server.gql<{
    adminDashboard: { activeSessionCount: number };
    users: { username: string }[];
  }>('{ adminDashboard { activeSessionCount } users { username } }', { token: alice });
  expect(res.errors).toBeUndefined();
  return {
    sessions: res.data!.adminDashboard.activeSessionCount,
    usernames: res.data!.users.map((u) => u.username),
  };
}

describe('@auth and @hasRole over HTTP', () => {
  it('lets an ADMIN call an @auth field: ADMIN includes USER', async () => {
    const res = await server.gql('{ me { username role } }', { token: alice });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ me: { username: 'alice', role: 'ADMIN' } });
  });

  it('lets a USER call an @auth field', async () => {
    const res = await server.gql('{ me { username role } }', { token: bob });
    expect(res.data).toEqual({ me: { username: 'bob', role: 'USER' } });
  });

  it('lets an ADMIN call the @hasRole(roles: [ADMIN]) queries', async () => {
    const res = await server.gql<{ adminDashboard: { message: string }; users: unknown[] }>(
      '{ adminDashboard { message userCount activeSessionCount } users { username } }',
      { token: alice },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.adminDashboard).toEqual({
      message: "Welcome, alice. Here's the admin dashboard.",
      userCount: expect.any(Number),
      activeSessionCount: expect.any(Number),
    });
    expect(res.data?.users).toEqual(
      expect.arrayContaining([{ username: 'alice' }, { username: 'bob' }]),
    );
  });

  it.each([
    ['adminDashboard', '{ adminDashboard { message } }'],
    ['users', '{ users { username } }'],
  ])('refuses a USER the ADMIN query %s: FORBIDDEN', async (field, query) => {
    const res = await server.gql(query, { token: bob });
    expect(res.status).toBe(200);
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({ path: [field], extensions: FORBIDDEN });
  });

  it.each([
    [
      'createUser',
      'mutation { createUser(input: { username: "bobs-friend", password: "longenough1" }) { id } }',
    ],
    [
      'setUserActive',
      'mutation { setUserActive(id: "00000000-0000-4000-8000-000000000000", active: false) { id } }',
    ],
  ])('refuses a USER the ADMIN mutation %s: FORBIDDEN', async (_field, mutation) => {
    const res = await server.gql(mutation, { token: bob });
    expect(res.status).toBe(200);
    expect(res.errors).toHaveLength(1);
    expect(firstError(res)).toEqual(FORBIDDEN);
    expect(res.data ?? null).toBeNull();
  });

  it('refuses a caller without a token on an @auth or @hasRole field: TOKEN_MISSING', async () => {
    for (const query of ['{ me { id } }', '{ users { id } }', '{ adminDashboard { message } }']) {
      const res = await server.gql(query);
      expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    }
  });
});

describe('a directive on an OBJECT type', () => {
  it('guards every field of AdminDashboard, whatever path reaches it', async () => {
    const schema = await buildAuthSchema();
    const type = schema.getType('AdminDashboard');
    if (!isObjectType(type)) throw new Error('AdminDashboard is not an object type');
    const fields = Object.values(type.getFields());
    expect(fields.map((f) => f.name).sort()).toEqual([
      'activeSessionCount',
      'message',
      'userCount',
    ]);

    const callerWith = (result: Principal | Unauthenticated) => ({
      auth: {
        resolve: () => result,
        principal: (): Principal => {
          if (result instanceof Unauthenticated) throw result;
          return result;
        },
      },
    });
    const user: Principal = {
      userId: 'u',
      role: 'USER',
      sessionId: 's',
      tokenId: 't',
      expiresAt: Number.MAX_SAFE_INTEGER,
      acr: 'aal1',
      amr: ['pwd'],
    };
    const source = { message: 'm', userCount: 1, activeSessionCount: 1 };
    const info = {} as GraphQLResolveInfo;
    for (const field of fields) {
      const resolve = field.resolve as GraphQLFieldResolver<unknown, unknown>;
      expect(() => resolve(source, {}, callerWith(user), info)).toThrow(Forbidden);
      expect(() =>
        resolve(source, {}, callerWith(new Unauthenticated('TOKEN_MISSING')), info),
      ).toThrow(Unauthenticated);
      expect(resolve(source, {}, callerWith({ ...user, role: 'ADMIN' }), info)).toBe(
        source[field.name as keyof typeof source],
      );
    }
  });

  it('says so in the description of each of its fields', async () => {
    const res = await server.gql<{ __type: { fields: { name: string; description: string }[] } }>(
      '{ __type(name: "AdminDashboard") { fields { name description } } }',
    );
    expect(res.data?.__type.fields).toHaveLength(3);
    for (const field of res.data!.__type.fields) {
      expect(field.description).toContain('Requires role: ADMIN');
    }
  });
});

describe('partial results of queries', () => {
  it('bubbles a refused non-null root field to data: null, with one error at its path', async () => {
    const res = await server.gql('{ publicMessage adminDashboard { message } }', { token: bob });
    expect(res.status).toBe(200);
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({ path: ['adminDashboard'], extensions: FORBIDDEN });
  });

  it('answers the public field alone without any error', async () => {
    const res = await server.gql('{ publicMessage }', { token: bob });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ publicMessage: expect.any(String) });
  });
});

describe('mutations are all-or-nothing', () => {
  const LOGIN = 'a: login(username: "bob", password: "password456") { accessToken }';

  it.each([
    [
      'as a plain field',
      `mutation { ${LOGIN} createUser(input: { username: "eve1", password: "longenough1" }) { id } }`,
    ],
    [
      'through a named fragment',
      `mutation { ${LOGIN} ...Admin } fragment Admin on Mutation { createUser(input: { username: "eve2", password: "longenough1" }) { id } }`,
    ],
    [
      'through an inline fragment, under an alias',
      `mutation { ${LOGIN} ... on Mutation { aliased: createUser(input: { username: "eve3", password: "longenough1" }) { id } } }`,
    ],
    [
      'through nested fragments',
      `mutation { ${LOGIN} ...Outer } fragment Outer on Mutation { ... on Mutation { ...Inner } } fragment Inner on Mutation { createUser(input: { username: "eve4", password: "longenough1" }) { id } }`,
    ],
  ])(
    'refuses a USER the whole operation when a forbidden field is selected %s, before anything runs',
    async (_how, mutation) => {
      const before = await adminView();
      const res = await server.gql(mutation, { token: bob });
      expect(res.status).toBe(200);
      expect(res.errors).toHaveLength(1);
      expect(firstError(res)).toEqual(FORBIDDEN);
      expect(res.data ?? null).toBeNull();
      const after = await adminView();
      expect(after.sessions).toBe(before.sessions); // login did not run
      expect(after.usernames).toEqual(before.usernames); // createUser did not run
      expect(after.usernames).not.toEqual(expect.arrayContaining([expect.stringMatching(/^eve/)]));
    },
  );

  it('refuses a caller without a token the whole operation containing changePassword: TOKEN_MISSING', async () => {
    // logout with a refresh token is public and visible: had it run, that session would end.
    // (login would show it too, but one operation may hold only one credential field.)
    const { accessToken, refreshToken } = await server.login('bob', 'password456');
    const res = await server.gql(
      'mutation ($r: String!) { logout(refreshToken: $r) changePassword(currentPassword: "password456", newPassword: "password789") }',
      { variables: { r: refreshToken } },
    );
    expect(res.errors).toHaveLength(1);
    expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    expect(res.data ?? null).toBeNull();
    const me = await server.gql('{ me { username } }', { token: accessToken });
    expect(me.data).toEqual({ me: { username: 'bob' } }); // logout did not run
    await expect(server.login('bob', 'password456')).resolves.toMatchObject({
      tokenType: 'Bearer',
    }); // changePassword did not run
  });

  it('runs an operation whose every field the caller may use', async () => {
    const res = await server.gql<{ a: { accessToken: string }; createUser: { username: string } }>(
      `mutation { a: login(username: "alice", password: "secret123") { accessToken } createUser(input: { username: "frank", password: "longenough1" }) { username role } }`,
      { token: alice },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      a: { accessToken: expect.any(String) },
      createUser: { username: 'frank', role: 'USER' },
    });
  });
});

describe('descriptions of guarded fields', () => {
  type Fields = { __type: { fields: { name: string; description: string | null }[] } };
  const fieldsOf = async (type: string) => {
    const res = await server.gql<Fields>(
      `query ($t: String!) { __type(name: $t) { fields { name description } } }`,
      { variables: { t: type } },
    );
    expect(res.errors).toBeUndefined();
    return Object.fromEntries(res.data!.__type.fields.map((f) => [f.name, f.description ?? '']));
  };

  it('state what each Query field needs', async () => {
    const fields = await fieldsOf('Query');
    expect(fields.me).toContain('Requires authentication');
    expect(fields.adminDashboard).toContain('Requires role: ADMIN');
    expect(fields.users).toContain('Requires role: ADMIN');
    expect(fields.publicMessage).not.toContain('Requires');
  });

  it('state what each Mutation field needs', async () => {
    const fields = await fieldsOf('Mutation');
    expect(fields.changePassword).toContain('Requires authentication');
    expect(fields.createUser).toContain('Requires role: ADMIN');
    expect(fields.setUserActive).toContain('Requires role: ADMIN');
    for (const name of ['login', 'refresh', 'logout'])
      expect(fields[name]).not.toContain('Requires');
  });
});
