/**
 * Property-based fuzzing (fast-check): random methods, headers, tokens and GraphQL documents,
 * built from the schema's own fields and mangled. Whatever arrives, the server
 *   - never answers 5xx, and every JSON error carries a code;
 *   - never shows data of a guarded field to a caller who may not see it (the ids of alice and
 *     bob, and the admin dashboard's greeting, are the markers);
 *   - keeps serving.
 * Bounded: 200 runs, each one request.
 */
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../support/harness';
import {
  START_TIMEOUT_MS,
  compactJws,
  hmacSha256,
  postGraphQL,
  rawRequest,
  type RawRequest,
} from './support';

let server: TestServer;
let bob: { accessToken: string; refreshToken: string };
let aliceId: string;
let bobId: string;

beforeAll(async () => {
  server = await startTestServer({ LOGIN_MAX_FAILURES: '1000000' });
  const alice = await server.login('alice', 'secret123');
  bob = await server.login('bob', 'password456');
  const users = await server.gql<{ users: { id: string; username: string }[] }>(
    '{ users { id username } }',
    { token: alice.accessToken },
  );
  aliceId = users.data!.users.find((u) => u.username === 'alice')!.id;
  bobId = users.data!.users.find((u) => u.username === 'bob')!.id;
}, START_TIMEOUT_MS);
afterAll(() => server?.close());

// ---- building blocks --------------------------------------------------------------------

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});
const base64urlText = fc.string({
  unit: fc.constantFrom(
    ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split(''),
  ),
  maxLength: 80,
});
/** Any string, as a GraphQL string literal (JSON's escapes are GraphQL's). */
const stringLiteral = fc
  .oneof(fc.string({ maxLength: 40 }), fc.constantFrom('bob', 'alice', 'BOB', '', 'x'.repeat(300)))
  .map((s) => JSON.stringify(s));
const booleanLiteral = fc.constantFrom('true', 'false', 'null', '1', '"true"');
const alias = fc.option(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), { nil: undefined });

/** A field as [name, arguments, selection set]: alias and directive go in between. */
type Field = [name: string, args: string, selection: string];

const knownQueryField = fc.constantFrom<Field>(
  ['publicMessage', '', ''],
  ['__typename', '', ''],
  ['me', '', '{ id username role isActive createdAt }'],
  ['me', '', '{ __typename id }'],
  ['users', '', '{ id username role isActive }'],
  ['adminDashboard', '', '{ message userCount activeSessionCount }'],
  ['adminDashboard', '', '{ __typename }'],
);
/** Names that are not fields, some of them Object.prototype's, and introspection. */
const strangeField = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(
        'constructor',
        '__proto__',
        'toString',
        'hasOwnProperty',
        '__schema',
        '__type',
      ),
      fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,8}$/),
    ),
    fc.constantFrom('', '(name: "Query")', '(x: 1)'),
    fc.constantFrom('', '{ name }', '{ __typename }', '{ types { name } }'),
  )
  .map(([name, args, selection]): Field => [name, args, selection]);
const queryField = fc.oneof(
  { weight: 4, arbitrary: knownQueryField },
  { weight: 1, arbitrary: strangeField },
);
const mutationField = fc.oneof(
  fc
    .tuple(stringLiteral, stringLiteral)
    .map(([u, p]): Field => [
      'login',
      `(username: ${u}, password: ${p})`,
      '{ accessToken refreshToken }',
    ]),
  stringLiteral.map((r): Field => ['refresh', `(refreshToken: ${r})`, '{ accessToken }']),
  fc.constant<Field>(['refresh', `(refreshToken: "${'A'.repeat(43)}")`, '{ accessToken }']),
  fc
    .tuple(fc.option(stringLiteral, { nil: undefined }), booleanLiteral)
    .map(([r, all]): Field => [
      'logout',
      `(${r ? `refreshToken: ${r}, ` : ''}allSessions: ${all})`,
      '',
    ]),
  fc
    .tuple(stringLiteral, stringLiteral)
    .map(([c, n]): Field => ['changePassword', `(currentPassword: ${c}, newPassword: ${n})`, '']),
  fc
    .tuple(stringLiteral, stringLiteral, fc.constantFrom('USER', 'ADMIN', 'ROOT'))
    .map(([u, p, r]): Field => [
      'createUser',
      `(input: { username: ${u}, password: ${p}, role: ${r} })`,
      '{ id username role }',
    ]),
  fc
    .tuple(stringLiteral, booleanLiteral)
    .map(([id, active]): Field => [
      'setUserActive',
      `(id: ${id}, active: ${active})`,
      '{ id username }',
    ]),
);

/** A field with an optional alias and directive, perhaps inside an inline fragment. */
function decorated(field: fc.Arbitrary<Field>, typeName: string) {
  return fc
    .tuple(
      field,
      alias,
      fc.constantFrom('', '@include(if: true)', '@skip(if: false)', '@skip(if: true)'),
      fc.constantFrom('plain', 'inline', 'typed-inline'),
    )
    .map(([[name, args, selection], a, directive, wrap]) => {
      const text = `${a ? `${a}: ` : ''}${name}${args} ${directive} ${selection}`;
      if (wrap === 'inline') return `... { ${text} }`;
      if (wrap === 'typed-inline') return `... on ${typeName} { ${text} }`;
      return text;
    });
}

const operation = fc.oneof(
  fc
    .array(decorated(queryField, 'Query'), { minLength: 1, maxLength: 6 })
    .map((fields) => `query { ${fields.join(' ')} }`),
  fc
    .array(decorated(mutationField, 'Mutation'), { minLength: 1, maxLength: 3 })
    .map((fields) => `mutation { ${fields.join(' ')} }`),
  fc
    .array(decorated(queryField, 'Query'), { minLength: 1, maxLength: 4 })
    .map((fields) => `query { ...F } fragment F on Query { ${fields.join(' ')} }`),
  fc
    .array(decorated(mutationField, 'Mutation'), { minLength: 1, maxLength: 2 })
    .map((fields) => `mutation M { ...F } fragment F on Mutation { ${fields.join(' ')} }`),
);

/** A valid-looking document with random characters inserted, deleted or replaced. */
const mangled = fc
  .tuple(operation, fc.array(fc.tuple(fc.nat(), fc.nat(3), printable), { maxLength: 4 }))
  .map(([doc, edits]) =>
    edits.reduce((text, [at, remove, insert]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      return text.slice(0, i) + insert.slice(0, 3) + text.slice(i + remove);
    }, doc),
  );

const document = fc.oneof(
  { weight: 7, arbitrary: operation },
  { weight: 2, arbitrary: mangled },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

type TokenKind = 'none' | 'bob' | 'invalid';

/** Built once the server is up: the tokens and ids come from it. */
function requests() {
  const token: fc.Arbitrary<{ kind: TokenKind; authorization?: string }> = fc.oneof(
    fc.constant({ kind: 'none' as const }),
    fc.constant({ kind: 'bob' as const, authorization: `Bearer ${bob.accessToken}` }),
    // bob's token with its header or payload text changed: the signature no longer fits.
    fc.tuple(fc.nat(), fc.constantFrom(...'AQgw_-xyz0'.split(''))).map(([at, c]) => {
      const [h, p, s] = bob.accessToken.split('.') as [string, string, string];
      const signed = `${h}.${p}`;
      const i = at % signed.length;
      const changed =
        signed.slice(0, i) + (signed[i] === c ? (c === 'A' ? 'B' : 'A') : c) + signed.slice(i + 1);
      return {
        kind: 'invalid' as const,
        authorization: `Bearer ${changed}.${s}`,
      };
    }),
    fc.constant({ kind: 'invalid' as const, authorization: `Bearer ${bob.refreshToken}` }),
    fc
      .tuple(
        fc.record({
          alg: fc.constantFrom('none', 'None', 'HS256', 'RS256', 'HS512', 'ES256'),
          typ: fc.constantFrom('at+jwt', 'JWT', undefined),
          kid: fc.option(printable, { nil: undefined }),
          jku: fc.option(fc.constant('http://127.0.0.1:9/jwks'), { nil: undefined }),
        }),
        fc.record({
          sub: fc.constantFrom(bobId, aliceId, 'x'),
          role: fc.constantFrom('ADMIN', 'USER'),
          iss: fc.constantFrom('graphql-auth', 'evil'),
          aud: fc.constantFrom('graphql-api', 'other'),
          exp: fc.oneof(fc.integer(), fc.constant(9_999_999_999), fc.string()),
          sid: fc.string(),
          jti: fc.string(),
        }),
        printable,
      )
      .map(([header, claims, secret]) => ({
        kind: 'invalid' as const,
        authorization: `Bearer ${compactJws(header, claims, hmacSha256(secret))}`,
      })),
    fc
      .tuple(base64urlText, base64urlText, base64urlText)
      .map((parts) => ({ kind: 'invalid' as const, authorization: `Bearer ${parts.join('.')}` })),
    printable.map((junk) => ({ kind: 'invalid' as const, authorization: junk })),
  );

  /** Mostly what a client sends; sometimes not. */
  const usually = <T>(common: T, ...rare: fc.Arbitrary<T>[]): fc.Arbitrary<T> =>
    fc.oneof(
      { weight: 12, arbitrary: fc.constant(common) },
      ...rare.map((arbitrary) => ({ weight: 1, arbitrary })),
    );
  const optional = <T>(arbitrary: fc.Arbitrary<T>) =>
    fc.option(arbitrary, { freq: 2, nil: undefined });

  const headers = fc.record({
    'content-type': usually<string | undefined>(
      'application/json',
      fc.constantFrom(
        undefined,
        'application/json; charset=utf-8',
        'text/plain',
        'application/graphql',
        'application/x-www-form-urlencoded',
        'multipart/form-data',
        'nonsense',
      ),
    ),
    'x-forwarded-for': optional(fc.oneof(printable, fc.constantFrom('1.2.3.4, 5.6.7.8', '::1'))),
    'x-request-id': optional(printable),
    'apollo-require-preflight': optional(fc.constant('true')),
    accept: usually<string | undefined>(
      undefined,
      fc.constantFrom('application/json', 'text/html', '*/*', 'multipart/mixed', 'nonsense'),
    ),
  });

  return fc.record({
    method: usually('POST', fc.constantFrom('GET', 'PUT', 'OPTIONS')),
    document,
    variables: usually<unknown>(
      undefined,
      fc.dictionary(
        fc.constantFrom('u', 'p', 'x', 'r', '__proto__'),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      fc.jsonValue({ maxDepth: 3 }),
    ),
    operationName: usually<string | undefined>(undefined, fc.constantFrom('M', 'F', 'x')),
    rawBody: usually<string | undefined>(
      undefined,
      printable,
      fc.constantFrom('[]', 'null', '{}', '{"query":1}'),
    ),
    token,
    headers,
  });
}

// ---- the property ------------------------------------------------------------------------

it('never answers 5xx, never leaks a guarded field, keeps serving', async () => {
  await fc.assert(
    fc.asyncProperty(requests(), async (r) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(r.headers)) {
        if (value !== undefined) headers[name] = value;
      }
      if (r.token.authorization !== undefined) headers.authorization = r.token.authorization;
      const body =
        r.rawBody ??
        JSON.stringify({
          query: r.document,
          variables: r.variables,
          operationName: r.operationName,
        });
      const options: RawRequest =
        r.method === 'GET'
          ? {
              method: 'GET',
              path: `/graphql?query=${encodeURIComponent(r.document)}${r.operationName ? `&operationName=${r.operationName}` : ''}`,
              headers,
            }
          : { method: r.method, headers, body };
      const res = await rawRequest(server.url, options);

      expect(res.status).toBeLessThan(500);
      // Never data of a guarded field the caller may not see.
      expect(res.text).not.toContain(aliceId);
      expect(res.text).not.toContain('Welcome, ');
      if (r.token.kind !== 'bob') expect(res.text).not.toContain(bobId);
      // Every JSON error names its code.
      if (String(res.headers['content-type'] ?? '').includes('json') && res.json?.errors) {
        for (const error of res.json.errors) {
          expect(error.extensions?.code).toEqual(expect.any(String));
        }
      }
    }),
    { numRuns: 200 },
  );

  // Still serving, and nothing was created or broken along the way.
  expect((await rawRequest(server.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  const alice = await server.login('alice', 'secret123');
  const users = await postGraphQL(server.url, '{ users { username } }', {
    headers: { authorization: `Bearer ${alice.accessToken}` },
  });
  expect(users.json?.data).toEqual({ users: [{ username: 'alice' }, { username: 'bob' }] });
  expect((await server.login('bob', 'password456')).accessToken).toEqual(expect.any(String));
}, 120_000);
