/**
 * Text arguments (docs/API.md, "Text arguments"): a control character or a lone surrogate in
 * any string argument of any operation is the client's error — BAD_USER_INPUT, or for
 * credentials UNAUTHENTICATED — and never an internal error, whatever the backend. The
 * arguments are found by walking the schema, input objects included, so a field added later is
 * covered without touching this file.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { buildAuthSchema } from '../../src/schema/build-schema';
import { fieldRequirement } from '../../src/schema/directives/guards';
import { firstError, startTestServer, type TestServer } from '../support/harness';
import { enrollTotp, secondFactor } from '../support/totp';
import type { CanonicalUsername } from '../../src/store/ports';

let server: TestServer;
let alice: string;
/** Alice's token after her second factor, for fields that demand one (disableTotp). */
let aliceAal2: string;
let targets: Target[];
beforeAll(async () => {
  server = await startTestServer({ LOGIN_MAX_FAILURES: '1000000' });
  alice = (await server.login('alice', 'secret123')).accessToken;
  aliceAal2 = (await secondFactor(server, alice, await enrollTotp(server, alice))).accessToken;
  targets = textArguments(await buildAuthSchema());
});
afterAll(() => server.close());

/** One string argument, or string field of an input argument, of one root field. */
interface Target {
  /** e.g. "Mutation.createUser(input.username)" */
  readonly name: string;
  readonly operation: 'query' | 'mutation';
  readonly field: string;
  readonly args: readonly GraphQLArgument[];
  /** The argument, then the input fields down to the string. */
  readonly path: readonly string[];
  readonly guarded: boolean;
  /** Whether a guard demands a second factor. */
  readonly mfa: boolean;
  readonly selection: string;
  /** Whether the string's type is ID. */
  readonly isId: boolean;
}

function textArguments(schema: GraphQLSchema): Target[] {
  const found: Target[] = [];
  const roots: ['query' | 'mutation', GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ];
  for (const [operation, root] of roots) {
    if (!root) continue;
    const configs = root.toConfig().fields;
    for (const field of Object.values(root.getFields())) {
      const { guards } = fieldRequirement(schema, root, field.name, configs[field.name]!);
      const guarded = guards.length;
      const selection = isObjectType(getNamedType(field.type)) ? '{ __typename }' : '';
      const add = (path: string[], type: GraphQLInputType) =>
        found.push({
          name: `${root.name}.${field.name}(${path.join('.')})`,
          operation,
          field: field.name,
          args: field.args,
          path,
          guarded: guarded > 0,
          mfa: guards.some((guard) => guard.mfa),
          selection,
          isId: getNamedType(type).name === 'ID',
        });
      for (const arg of field.args) {
        for (const path of stringPaths(arg.type)) add([arg.name, ...path.names], path.type);
      }
    }
  }
  return found;
}

/** The paths from `type` to each of its String and ID values, through input objects. */
function stringPaths(type: GraphQLInputType): { names: string[]; type: GraphQLInputType }[] {
  const named = getNamedType(type);
  if (named.name === 'String' || named.name === 'ID') return [{ names: [], type }];
  if (!isInputObjectType(named)) return [];
  return Object.values(named.getFields()).flatMap((f: GraphQLInputField) =>
    stringPaths(f.type).map((p) => ({ names: [f.name, ...p.names], type: p.type })),
  );
}

/** A harmless valid value of `type`: a wrong password, an id of nobody, `false`. */
function fill(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return fill(type.ofType);
  if (isListType(type)) return [fill(type.ofType)];
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
        .map((f) => [f.name, fill(f.type)]),
    );
  }
  switch (type.name) {
    case 'ID':
      return randomUUID();
    case 'Boolean':
      return false;
    case 'Int':
      return 1;
    case 'String':
      return 'not-the-password';
    case 'Role':
      return 'USER';
    default:
      throw new Error(`no fill for ${type.name}: teach this test the new type`);
  }
}

/** Sends `value` at the target's path (as variables, as clients do); other arguments valid. */
async function send(target: Target, value: string) {
  const included = target.args.filter(
    (a) => a.name === target.path[0] || (isNonNullType(a.type) && a.defaultValue === undefined),
  );
  const variables: Record<string, unknown> = {};
  for (const arg of included) {
    let current = fill(arg.type);
    if (arg.name === target.path[0]) current = placed(current, target.path.slice(1), value);
    variables[arg.name] = current;
  }
  const declared = included.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const passed = included.map((a) => `${a.name}: $${a.name}`).join(', ');
  const query = `${target.operation} (${declared}) { ${target.field}(${passed}) ${target.selection} }`;
  // Public fields without a token: a logout with alice's token would end her session.
  const token = target.mfa ? aliceAal2 : target.guarded ? alice : undefined;
  return server.gql(query, { variables, token });
}

function placed(container: unknown, path: readonly string[], value: string): unknown {
  if (path.length === 0) return value;
  const object = { ...(container as Record<string, unknown>) };
  object[path[0]!] = placed(object[path[0]!], path.slice(1), value);
  return object;
}

const badCharacter = fc
  .oneof(
    fc.integer({ min: 0x00, max: 0x1f }), // C0, NUL, tab and newline included
    fc.constant(0x7f), // DEL
    fc.integer({ min: 0x80, max: 0x9f }), // C1
    fc.integer({ min: 0xd800, max: 0xdfff }), // half of a surrogate pair, alone
  )
  .map((code) => String.fromCharCode(code));
/** Well-formed text around it, so a lone surrogate stays lone. */
const around = fc.string({ unit: 'grapheme', maxLength: 12 });
const badText = fc.tuple(around, badCharacter, around).map(([a, c, b]) => `${a}${c}${b}`);

describe('a control character or lone surrogate in any string argument', () => {
  it('finds the string arguments of every operation (so the property is not vacuous)', () => {
    expect(targets.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'Mutation.login(username)',
        'Mutation.login(password)',
        'Mutation.refresh(refreshToken)',
        'Mutation.logout(refreshToken)',
        'Mutation.changePassword(newPassword)',
        'Mutation.createUser(input.username)',
        'Mutation.createUser(input.password)',
        'Mutation.setUserActive(id)',
        'Mutation.verifyMfa(code)',
        'Mutation.disableTotp(code)',
        'Query.authEvents(userId)',
      ]),
    );
  });

  it('is BAD_USER_INPUT or UNAUTHENTICATED, never an internal error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), badText, async (target, text) => {
        const res = await send(target, text);
        const codes = (res.errors ?? []).map((e) => e.extensions?.code);
        expect({ target: target.name, status: res.status < 500, codes }).toEqual({
          target: target.name,
          status: true,
          codes: [expect.stringMatching(/^(BAD_USER_INPUT|UNAUTHENTICATED)$/)],
        });
        expect(res.data?.[target.field] ?? null).toBeNull();
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('answers login as a wrong password would, without a database query', async () => {
    const lookup = jest.spyOn(server.app.services.deps.users, 'findByCanonicalUsername');
    try {
      for (const username of ['ali\u0000ce', 'alice\n', '\ud800alice', 'alice\u0085']) {
        const res = await server.gql(
          'mutation ($u: String!) { login(username: $u, password: "secret123") { accessToken } }',
          { variables: { u: username } },
        );
        expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
      }
      expect(lookup).not.toHaveBeenCalled();
    } finally {
      lookup.mockRestore();
    }
  });

  it('refuses such a password when it is set, and takes every printable character', async () => {
    const create = (password: string) =>
      server.gql<{ createUser: { id: string } }>(
        'mutation ($p: String!) { createUser(input: { username: "dora", password: $p }) { id } }',
        { variables: { p: password }, token: alice },
      );
    expect(firstError(await create('tab\tin the middle'))).toEqual({ code: 'BAD_USER_INPUT' });
    const printable = 'Ünïcødé ½ 😀 "quoted" \\ \u00a0 spaces';
    expect((await create(printable)).data?.createUser.id).toEqual(expect.any(String));
    expect((await server.login('dora', printable)).accessToken).toEqual(expect.any(String));
  });
});

describe('an ID argument that is no UUID', () => {
  it('is never an internal error', async () => {
    const ids = () => targets.filter((t) => t.isId);
    expect(ids().length).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ids()),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        async (target, text) => {
          const res = await send(target, text);
          expect(res.status).toBeLessThan(500);
          for (const error of res.errors ?? []) {
            expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('a value that reaches the database anyway (defence in depth)', () => {
  it('is BAD_USER_INPUT, not an internal error', async () => {
    // As if a use case had forgotten its check: the NUL goes to the real store.
    const { users } = server.app.services.deps;
    const login = jest
      .spyOn(server.app.services.sessions, 'login')
      .mockImplementationOnce(async () => {
        await users.findByCanonicalUsername('ali\u0000ce' as CanonicalUsername);
        throw new Error('unreachable: the query above fails');
      });
    try {
      const res = await server.gql(
        'mutation { login(username: "alice", password: "secret123") { accessToken } }',
      );
      expect(res.errors).toHaveLength(1);
      expect(firstError(res)).toEqual({ code: 'BAD_USER_INPUT' });
      expect(res.errors![0]!.message).not.toMatch(/select|query|users/i);
    } finally {
      login.mockRestore();
    }
  });
});
