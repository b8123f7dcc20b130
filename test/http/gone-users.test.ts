/**
 * A token whose user is gone or deactivated never reaches a guarded resolver (docs/API.md,
 * "Tokens"), whatever its signature, role or directive: every guarded root field of the schema,
 * found by walking it, answers UNAUTHENTICATED / TOKEN_REVOKED and runs nothing.
 *
 * The tokens are valid in every other way: signed with the server's secret, or issued by the
 * server itself to a user who was deactivated afterwards without ending their sessions (as an
 * UPDATE by an operator, or another tool, would leave them).
 */
import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { buildAuthSchema } from '../../src/schema/build-schema';
import { fieldRequirement } from '../../src/schema/directives/guards';
import { firstError, startTestServer, type TestServer } from '../support/harness';
import { HARNESS_SECRET, compactJws, decodeJwt, hmacSha256 } from '../security/support';

let server: TestServer;
let alice: string;
let aliceId: string;
beforeAll(async () => {
  server = await startTestServer();
  alice = (await server.login('alice', 'secret123')).accessToken;
  aliceId = String(decodeJwt(alice).payload.sub);
});
afterAll(() => server.close());

const REVOKED = { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' };

/** A token the server would have signed, for a user id of our choosing. */
function signedForUser(userId: string, role: 'ADMIN' | 'USER'): string {
  const now = Math.floor(Date.now() / 1000);
  return compactJws(
    decodeJwt(alice).header,
    {
      iss: 'graphql-auth',
      aud: 'graphql-api',
      sub: userId,
      role,
      iat: now,
      exp: now + 600,
      jti: randomUUID(),
      sid: randomUUID(),
    },
    hmacSha256(HARNESS_SECRET),
  );
}

/** `mutation { setUserActive(id: "…", active: false) { __typename } }` and so on, per field. */
function guardedRootOperations(schema: GraphQLSchema): [string, string][] {
  const operations: [string, string][] = [];
  const roots: [string, GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ];
  for (const [keyword, root] of roots) {
    for (const [name, config] of Object.entries(root?.toConfig().fields ?? {})) {
      if (fieldRequirement(schema, root!, name, config).guards.length === 0) continue;
      const field = root!.getFields()[name]!;
      const args = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
      const argText = args.length
        ? `(${args.map((a) => `${a.name}: ${valueOf(a.type)}`).join(', ')})`
        : '';
      const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
      operations.push([`${root!.name}.${name}`, `${keyword} { ${name}${argText}${selection} }`]);
    }
  }
  return operations;
}

/** A value of `type` that would do harm if it got through: alice's id, `false`, an admin. */
function valueOf(type: GraphQLInputType): string {
  const named = getNamedType(type);
  if (isInputObjectType(named)) {
    const fields = Object.values(named.getFields()).filter(
      (f) => isNonNullType(f.type) && f.defaultValue === undefined,
    );
    return `{ ${fields.map((f) => `${f.name}: ${valueOf(f.type)}`).join(', ')} }`;
  }
  if (isEnumType(named)) return named.getValues()[0]!.name;
  switch (named.name) {
    case 'ID':
      return JSON.stringify(aliceId);
    case 'Boolean':
      return 'false';
    case 'Int':
      return '1';
    default:
      return JSON.stringify(`ghost-${randomUUID().slice(0, 8)}`);
  }
}

describe('a token of a user who does not exist or is deactivated', () => {
  let operations: [string, string][];
  let deactivated: string;
  beforeAll(async () => {
    operations = guardedRootOperations(await buildAuthSchema());
    const created = await server.gql<{ createUser: { id: string } }>(
      'mutation { createUser(input: { username: "carol", password: "carols-passphrase" }) { id } }',
      { token: alice },
    );
    const carol = await server.login('carol', 'carols-passphrase');
    await server.app.services.deps.users.setActive(created.data!.createUser.id, false);
    deactivated = carol.accessToken;
  });

  it('finds guarded fields of both directives to try (so the tests below are not vacuous)', () => {
    const fields = operations.map(([field]) => field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'Query.me',
        'Query.users',
        'Mutation.changePassword',
        'Mutation.setUserActive',
      ]),
    );
  });

  it.each([
    ['a random sub with role ADMIN', () => signedForUser(randomUUID(), 'ADMIN')],
    ['a random sub with role USER', () => signedForUser(randomUUID(), 'USER')],
    ['a sub that is no UUID', () => signedForUser('not-a-uuid', 'ADMIN')],
    ['a deactivated USER, issued by the server', () => deactivated],
    [
      'a deactivated user, re-signed with role ADMIN',
      () => signedForUser(String(decodeJwt(deactivated).payload.sub), 'ADMIN'),
    ],
  ])('is refused on every guarded field: %s', async (_name, token) => {
    for (const [field, operation] of operations) {
      const res = await server.gql(operation, { token: token() });
      expect({
        field,
        status: res.status,
        data: res.data ?? null,
        errors: res.errors?.length,
      }).toEqual({
        field,
        status: 200,
        data: null,
        errors: 1,
      });
      expect({ field, error: firstError(res) }).toEqual({ field, error: REVOKED });
    }
  });

  it('ran none of those mutations', async () => {
    const res = await server.gql<{ users: { username: string; isActive: boolean }[] }>(
      '{ users { username isActive } }',
      { token: alice },
    );
    expect(res.data?.users).toEqual([
      { username: 'alice', isActive: true },
      { username: 'bob', isActive: true },
      { username: 'carol', isActive: false },
    ]);
  });

  it('still lets an active user through (the check reads the user, it does not refuse all)', async () => {
    const res = await server.gql('{ me { username } users { username } }', { token: alice });
    expect(res.errors).toBeUndefined();
  });
});
