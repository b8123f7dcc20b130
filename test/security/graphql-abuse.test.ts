/**
 * GraphQL abuse (docs/SECURITY.md, "GraphQL abuse"): credential fields per operation, HTTP
 * batching, depth, aliases, tokens, cost, body and header size, malformed requests, and what
 * a guard error tells. Every refusal is a JSON GraphQL error with a code, never a 5xx.
 */
import { connect } from 'node:net';
import { getIntrospectionQuery } from 'graphql';
import { MAX_BODY_BYTES } from '../../src/server';
import { QUERY_LIMITS } from '../../src/schema/limits';
import { startTestServer, type TestServer } from '../support/harness';
import { START_TIMEOUT_MS, firstCode, postGraphQL, rawRequest, type RawResponse } from './support';

let server: TestServer;
let alice: string;
let bob: string;
beforeAll(async () => {
  server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' });
  alice = (await server.login('alice', 'secret123')).accessToken;
  bob = (await server.login('bob', 'password456')).accessToken;
}, START_TIMEOUT_MS);
afterAll(() => server?.close());

const post = (query: string, token?: string, variables?: Record<string, unknown>) =>
  postGraphQL(server.url, query, {
    variables,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

function expectRefusedDocument(res: RawResponse, code: string, pattern: RegExp) {
  expect(res.status).toBe(400);
  expect(res.json?.data).toBeUndefined();
  expect(firstCode(res)?.code).toBe(code);
  expect(res.json?.errors?.[0]?.message).toMatch(pattern);
}

const LOGIN_FIELD = (alias = '') =>
  `${alias}login(username: "bob", password: "password456") { accessToken }`;

describe('at most one login, refresh or changePassword per operation', () => {
  it.each([
    ['two aliased logins', `mutation { ${LOGIN_FIELD('a: ')} ${LOGIN_FIELD('b: ')} }`],
    [
      'login and refresh',
      `mutation { ${LOGIN_FIELD()} refresh(refreshToken: "x") { accessToken } }`,
    ],
    [
      'refresh and changePassword',
      'mutation { refresh(refreshToken: "x") { accessToken } changePassword(currentPassword: "a", newPassword: "b") }',
    ],
    [
      'one in a fragment, one beside it',
      `mutation { ${LOGIN_FIELD('a: ')} ...F } fragment F on Mutation { ${LOGIN_FIELD('b: ')} }`,
    ],
    [
      'nested fragments',
      `mutation { ...F } fragment F on Mutation { ${LOGIN_FIELD('a: ')} ...G } fragment G on Mutation { ${LOGIN_FIELD('b: ')} }`,
    ],
    [
      'inline fragments',
      `mutation { ... on Mutation { ${LOGIN_FIELD('a: ')} } ... { ... @include(if: true) { ${LOGIN_FIELD('b: ')} } } }`,
    ],
    [
      'two changePasswords',
      'mutation { a: changePassword(currentPassword: "a", newPassword: "b") b: changePassword(currentPassword: "c", newPassword: "d") }',
    ],
  ])('refuses %s, before anything runs', async (_name, query) => {
    const res = await post(query, bob);
    expectRefusedDocument(
      res,
      'GRAPHQL_VALIDATION_FAILED',
      /at most one of login, refresh, changePassword/,
    );
  });

  it('allows one login, even spread twice under one key (it runs once)', async () => {
    const res = await post(`mutation { ...F ...F } fragment F on Mutation { ${LOGIN_FIELD()} }`);
    expect(res.json?.errors).toBeUndefined();
    expect(res.json?.data?.login).toEqual({ accessToken: expect.any(String) });
  });

  it('judges each operation of a document on its own', async () => {
    const document = `mutation A { ${LOGIN_FIELD()} } mutation B { refresh(refreshToken: "x") { accessToken } }`;
    const res = await postGraphQL(server.url, document, {});
    expect(res.status).toBe(400); // no operationName: Apollo asks which one
    const one = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: document, operationName: 'A' }),
    });
    expect(one.json?.data?.login).toBeTruthy();
  });
});

describe('HTTP batching', () => {
  it('is off: an array of operations is refused whole', async () => {
    const res = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ publicMessage }' }, { query: '{ publicMessage }' }]),
    });
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(res.json?.errors?.[0]?.message).toMatch(/batching/i);
    expect(res.text).not.toContain('Hello');
  });
});

describe('document limits', () => {
  const nestedOfType = (levels: number) =>
    `{ __type(name: "Query") { ${'ofType { '.repeat(levels - 2)}name${' }'.repeat(levels - 2)} } }`;

  it('leaves the standard introspection query and ordinary operations alone', async () => {
    const res = await post(
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }),
    );
    expect(res.status).toBe(200);
    expect(res.json?.data?.__schema).toBeTruthy();
    const ordinary = await post(
      '{ publicMessage me { id username role isActive createdAt } users { id username } adminDashboard { message userCount activeSessionCount } }',
      alice,
    );
    expect(ordinary.json?.errors).toBeUndefined();
  });

  it(`refuses depth above ${QUERY_LIMITS.maxDepth}`, async () => {
    const ok = await post(nestedOfType(QUERY_LIMITS.maxDepth));
    expect(ok.status).toBe(200);
    const res = await post(nestedOfType(QUERY_LIMITS.maxDepth + 1));
    expectRefusedDocument(res, 'GRAPHQL_VALIDATION_FAILED', /levels deep/);
    expect(firstCode(res)).toMatchObject({
      limit: 'depth',
      max: QUERY_LIMITS.maxDepth,
      actual: QUERY_LIMITS.maxDepth + 1,
    });
  });

  it(`refuses more than ${QUERY_LIMITS.maxAliases} aliases, counted through fragments`, async () => {
    const aliases = (n: number, prefix = 'a') =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}: publicMessage`).join(' ');
    expect((await post(`{ ${aliases(QUERY_LIMITS.maxAliases)} }`)).status).toBe(200);
    const res = await post(`{ ${aliases(QUERY_LIMITS.maxAliases + 1)} }`);
    expectRefusedDocument(res, 'GRAPHQL_VALIDATION_FAILED', /aliases/);
    expect(firstCode(res)).toMatchObject({ limit: 'aliases' });
    // Eight aliases in a fragment, spread in two places: sixteen.
    const spread = await post(
      `{ ... on Query { ...F } x: __schema { queryType { ... on __Type { name } } } ... { ...F } } fragment F on Query { ${aliases(8, 'f')} }`,
    );
    expectRefusedDocument(spread, 'GRAPHQL_VALIDATION_FAILED', /aliases/);
  });

  it(`refuses more than ${QUERY_LIMITS.maxTokens} tokens before parsing them all`, async () => {
    // `query Qn { publicMessage }` is five tokens.
    const operations = (n: number) =>
      Array.from({ length: n }, (_, i) => `query Q${i} { publicMessage }`).join(' ');
    const fits = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: operations(QUERY_LIMITS.maxTokens / 5), operationName: 'Q0' }),
    });
    expect(fits.json?.data?.publicMessage).toEqual(expect.any(String));
    const res = await post(operations(QUERY_LIMITS.maxTokens / 5 + 1));
    // (graphql-js writes "more that")
    expectRefusedDocument(res, 'GRAPHQL_PARSE_FAILED', /contains more th[ae][nt] 1000 tokens/);
  });

  it('refuses a thousand copies of one field (graphql-js bounds its own overlap checks)', async () => {
    const res = await post(`{ ${'publicMessage '.repeat(QUERY_LIMITS.maxTokens - 3)} }`);
    expectRefusedDocument(res, 'GRAPHQL_VALIDATION_FAILED', /aborted/);
  });

  it(`refuses a cost above ${QUERY_LIMITS.maxCost}, before any guard or resolver runs`, async () => {
    // users is a list: each field inside it counts ×10. 1 + 10 × 100 = 1001.
    const res = await post(`{ users { ${'id '.repeat(100)} } }`, alice);
    expectRefusedDocument(res, 'GRAPHQL_VALIDATION_FAILED', /would cost 1001/);
    expect(firstCode(res)).toMatchObject({
      limit: 'cost',
      max: QUERY_LIMITS.maxCost,
      actual: 1001,
    });
    const cheap = await post(`{ users { ${'id '.repeat(99)} } }`, alice);
    expect(cheap.json?.errors).toBeUndefined();
  });

  it('refuses a fragment bomb quickly, without executing it', async () => {
    const levels = Array.from(
      { length: 12 },
      (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} ...F${i} ...F${i} }`,
    );
    const bomb = `{ ...F12 } fragment F0 on Query { publicMessage me { id } } ${levels.join(' ')}`;
    const started = Date.now();
    const res = await post(bomb);
    expect(Date.now() - started).toBeLessThan(3000);
    expectRefusedDocument(res, 'GRAPHQL_VALIDATION_FAILED', /would cost/);
  });
});

describe('sizes', () => {
  it(`answers 413 to a body over ${MAX_BODY_BYTES} bytes, declared or chunked, and keeps serving`, async () => {
    const big = JSON.stringify({ query: `{ publicMessage }${' '.repeat(MAX_BODY_BYTES)}` });
    for (const chunked of [false, true]) {
      const res = await rawRequest(server.url, {
        headers: { 'content-type': 'application/json' },
        body: big,
        chunked,
      });
      expect(res.status).toBe(413);
      expect(res.json?.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    }
    const fits = JSON.stringify({ query: `{ publicMessage }${' '.repeat(MAX_BODY_BYTES - 40)}` });
    const ok = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: fits,
    });
    expect(ok.status).toBe(200);
    expect(ok.json?.data?.publicMessage).toEqual(expect.any(String));
  });

  it('answers a JSON 431 to headers too large for the server, and keeps serving', async () => {
    const res = await rawRequest(server.url, {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${'A'.repeat(200_000)}`,
      },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(res.status).toBe(431);
    // The contract's code (docs/API.md, "Request errors"); the status tells which problem.
    expect(res.json?.errors?.[0]?.extensions).toEqual({ code: 'BAD_REQUEST' });
    expect((await post('{ publicMessage }')).status).toBe(200);
  });
});

describe('malformed requests', () => {
  const deepJson = `{"query":"{ publicMessage }","variables":{"a":${'['.repeat(40_000)}${']'.repeat(40_000)}}}`;
  it.each([
    ['not JSON', 'not json'],
    ['JSON null', 'null'],
    ['a JSON string', '"{ publicMessage }"'],
    ['an empty object', '{}'],
    ['an empty query', '{"query":""}'],
    ['a query that is not a string', '{"query":{"kind":"Document"}}'],
    ['variables that are not an object', '{"query":"{ publicMessage }","variables":"x"}'],
    [
      'a variable of the wrong type',
      '{"query":"query ($x: Boolean!) { logout(allSessions: $x) }","variables":{"x":"yes"}}',
    ],
    ['an unknown operationName', '{"query":"query A { publicMessage }","operationName":"B"}'],
    ['extensions that are not an object', '{"query":"{ publicMessage }","extensions":[]}'],
    ['a lone surrogate', '{"query":"{ publicMessage(x: \\"\\ud800\\") }"}'],
    ['a syntax error', '{"query":"{ publicMessage "}'],
    ['a subscription (there are none)', '{"query":"subscription { publicMessage }"}'],
    [
      'fields named like Object.prototype members',
      '{"query":"{ constructor { name } toString __proto__ { x } hasOwnProperty }"}',
    ],
    [
      'a fragment on an unknown type',
      '{"query":"{ ...F } fragment F on Nope { constructor { x } }"}',
    ],
    [
      'a fragment cycle',
      '{"query":"{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"}',
    ],
  ])('answers %s with a 4xx GraphQL error', async (_name, body) => {
    const res = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.json?.errors?.[0]?.extensions?.code).toEqual(expect.any(String));
    expect(res.text).not.toMatch(/\bat .+\.(js|ts):\d+/); // no stack
  });

  it('parses a deeply nested JSON body without falling over', async () => {
    const res = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: deepJson,
    });
    expect(res.status).toBeLessThan(500);
    expect((await post('{ publicMessage }')).status).toBe(200);
  });

  it('is not fooled by __proto__ in variables', async () => {
    const res = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ users { id } }","variables":{"__proto__":{"role":"ADMIN","userId":"x"}}}',
    });
    expect(res.json?.data ?? null).toBeNull();
    expect(firstCode(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
  });

  it('answers a request that is not HTTP with a JSON 400 and closes the connection', async () => {
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /graphql HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"BAD_REQUEST"');
  });

  it.each([
    ['a hash that does not match the query', { version: 1, sha256Hash: 'a'.repeat(64) }],
    ['an unknown version', { version: 2, sha256Hash: 'a'.repeat(64) }],
  ])('answers a persisted query with %s: 400 BAD_REQUEST', async (_name, persistedQuery) => {
    const res = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ publicMessage }', extensions: { persistedQuery } }),
    });
    expect(res.status).toBe(400);
    expect(res.json?.errors).toEqual([
      { message: expect.any(String), extensions: { code: 'BAD_REQUEST' } },
    ]);
  });

  it('answers a persisted query hash it does not know: PERSISTED_QUERY_NOT_FOUND', async () => {
    const res = await rawRequest(server.url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } },
      }),
    });
    expect(res.status).toBeLessThan(500);
    expect(res.json?.errors?.[0]?.extensions).toEqual({ code: 'PERSISTED_QUERY_NOT_FOUND' });
  });

  it('answers unknown methods with 405 and keeps serving', async () => {
    const res = await rawRequest(server.url, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('METHOD_NOT_ALLOWED');
    expect((await rawRequest(server.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });
});

describe('what a guard error tells', () => {
  it('is the same for every guarded field, with no field, type or value in it', async () => {
    const answers = await Promise.all(
      ['{ me { id username } }', '{ users { id username } }', '{ adminDashboard { message } }'].map(
        (query) => post(query),
      ),
    );
    const messages = new Set(answers.map((res) => res.json?.errors?.[0]?.message));
    expect(messages.size).toBe(1);
    for (const res of answers) {
      expect(res.json?.data ?? null).toBeNull();
      expect(res.json?.errors).toHaveLength(1);
      expect(res.json?.errors?.[0]?.extensions).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_MISSING',
      });
      expect(res.json?.errors?.[0]?.message).not.toMatch(
        /User|AdminDashboard|username|users|me\b|alice|bob/,
      );
    }
  });

  it('shows a USER nothing of an ADMIN field: not its data, not its shape', async () => {
    const res = await post('{ users { id username role } adminDashboard { userCount } }', bob);
    expect(res.json?.data ?? null).toBeNull();
    expect(res.text).not.toMatch(/alice|userCount"\s*:\s*\d/);
    for (const error of res.json?.errors ?? []) {
      expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
      expect(error.message).toBe('Requires role: ADMIN.');
    }
  });

  it('refuses a guarded mutation as a whole: nothing runs, nothing is returned', async () => {
    const res = await post(
      'mutation { logout createUser(input: { username: "mallory", password: "mallory-password", role: ADMIN }) { id username role } }',
      bob,
    );
    expect(res.json?.data ?? null).toBeNull();
    expect(firstCode(res)).toEqual({ code: 'FORBIDDEN' });
    // logout did not run either: bob's token still works, and no mallory exists.
    expect((await post('{ me { username } }', bob)).json?.data).toEqual({
      me: { username: 'bob' },
    });
    const users = await post('{ users { username } }', alice);
    expect(JSON.stringify(users.json?.data)).not.toContain('mallory');
  });
});
