/**
 * Prepared queries answer a query Apollo has accepted once without Apollo's pipeline. These
 * tests send each request twice: the first always goes through Apollo, the second through
 * the short way when it applies, and both answers must be the same bytes.
 */
import { Writable } from 'node:stream';
import { jsonLogger } from '../../src/logger';
import { PreparedQueries } from '../../src/plugins/prepared-queries';
import { startTestServer, type TestServer } from '../support/harness';

let server: TestServer;
let adminToken: string;
let userToken: string;
const answer = jest.spyOn(PreparedQueries.prototype, 'answer');

beforeAll(async () => {
  server = await startTestServer();
  adminToken = (await server.login('alice', 'secret123')).accessToken;
  userToken = (await server.login('bob', 'password456')).accessToken;
});
afterAll(() => server.close());

interface Answer {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  body: string;
  /** Whether prepared queries answered (false: Apollo did). */
  prepared: boolean;
}

async function post(
  body: unknown,
  headers: Record<string, string> = {},
  token?: string,
): Promise<Answer> {
  answer.mockClear();
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const tried = answer.mock.results[0]?.value as Promise<unknown> | undefined;
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    body: await response.text(),
    prepared: (await tried) !== undefined,
  };
}

/** Sends the request twice; returns both answers. */
async function twice(body: unknown, headers?: Record<string, string>, token?: string) {
  const first = await post(body, headers, token);
  const second = await post(body, headers, token);
  return { first, second };
}

describe('prepared queries', () => {
  it.each([
    ['me with a valid token', { query: '{ me { id username role isActive } }' }, 'user'],
    ['me without a token', { query: '{ me { username } }' }, undefined],
    ['a public field beside a refused one', { query: '{ publicMessage me { id } }' }, undefined],
    ['a role the caller lacks', { query: '{ adminDashboard { userCount } }' }, 'user'],
    ['an admin field', { query: '{ users { username role } }' }, 'admin'],
    [
      'variables',
      {
        query: 'query Events($n: Int!) { authEvents(limit: $n) { type } }',
        variables: { n: 2 },
      },
      'admin',
    ],
    [
      'an operation picked by name',
      {
        query: 'query A { publicMessage } query B { me { username } }',
        operationName: 'B',
      },
      'user',
    ],
    [
      'null variables and operationName',
      { query: '{ publicMessage }', variables: null, operationName: null },
      undefined,
    ],
  ])('answers %s as Apollo does', async (_name, body, who) => {
    const token = who === 'admin' ? adminToken : who === 'user' ? userToken : undefined;
    const { first, second } = await twice(body, {}, token);
    expect(first.prepared).toBe(false);
    expect(second.prepared).toBe(true);
    expect(second).toEqual({ ...first, prepared: true });
  });

  it('answers a bad token the same either way', async () => {
    const body = { query: '{ me { id } }' };
    const { first, second } = await twice(body, { authorization: 'Bearer nope' });
    expect(second).toEqual({ ...first, prepared: true });
    expect(JSON.parse(second.body).errors[0].extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_INVALID',
    });
  });

  it('leaves variables that do not fit to Apollo (nothing ran)', async () => {
    const query = 'query Events2($n: Int!) { authEvents(limit: $n) { type } }';
    await post({ query, variables: { n: 1 } }, {}, adminToken);
    const wrong = await post({ query, variables: { n: 'many' } }, {}, adminToken);
    expect(wrong.prepared).toBe(false);
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('leaves an unknown operation name to Apollo', async () => {
    const query = 'query C { publicMessage } query D { publicMessage }';
    await post({ query, operationName: 'C' });
    const unknown = await post({ query, operationName: 'E' });
    expect(unknown.prepared).toBe(false);
    expect(JSON.parse(unknown.body).errors[0].message).toMatch(/Unknown operation named "E"/);
  });

  it.each([
    ['*/*'],
    ['application/json'],
    ['application/graphql-response+json'],
    ['application/graphql-response+json,application/json;q=0.9'],
    [
      'application/graphql-response+json, application/graphql+json, application/json, multipart/mixed',
    ],
    ['multipart/mixed;deferSpec=20220824, application/json'],
  ])('negotiates Accept: %s as Apollo does', async (accept) => {
    // A document of its own, so that the first request goes to Apollo.
    const query = `{ greeting${accept.length}: publicMessage }`;
    const { first, second } = await twice({ query }, { accept });
    expect(first.prepared).toBe(false);
    expect(second).toEqual({ ...first, prepared: true });
  });

  it('leaves an Accept header that wants no JSON to Apollo', async () => {
    const { first, second } = await twice({ query: '{ __typename }' }, { accept: 'text/plain' });
    expect(second.prepared).toBe(false);
    expect(second.status).toBe(406);
    expect(second).toEqual(first);
  });

  it('leaves a persisted query extension to Apollo', async () => {
    const query = '{ publicMessage __typename }';
    await post({ query });
    const other = await post({ query, extensions: { persistedQuery: { version: 1 } } });
    expect(other.prepared).toBe(false);
  });

  it('never takes a mutation the short way', async () => {
    const body = {
      query: 'mutation { login(username: "bob", password: "password456") { tokenType } }',
    };
    const { first, second } = await twice(body);
    expect(JSON.parse(first.body)).toEqual({ data: { login: { tokenType: 'Bearer' } } });
    expect(JSON.parse(second.body)).toEqual({ data: { login: { tokenType: 'Bearer' } } });
    expect(second.prepared).toBe(false);
  });

  it('never keeps a document that failed validation', async () => {
    const deep = '{ me { id username username: id } }';
    const { first, second } = await twice({ query: deep }, {}, userToken);
    expect(first.status).toBe(400);
    expect(second).toEqual(first);
  });

  it('never answers GET', async () => {
    const query = '{ publicMessage }';
    await post({ query });
    answer.mockClear();
    const response = await fetch(`${server.url}/graphql?query=${encodeURIComponent(query)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(answer).not.toHaveBeenCalled();
  });
});

describe('an unexpected error in a prepared query', () => {
  const lines: string[] = [];
  let production: TestServer;
  beforeAll(async () => {
    production = await startTestServer(
      {
        NODE_ENV: 'production',
        BOOTSTRAP_ADMIN_USERNAME: 'root',
        BOOTSTRAP_ADMIN_PASSWORD: 'a long admin passphrase',
      },
      {
        logger: jsonLogger({
          level: 'error',
          destination: new Writable({
            write(chunk: Buffer, _encoding, done) {
              lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
              done();
            },
          }),
        }),
      },
    );
  }, 30_000);
  afterAll(() => production.close());

  it('is masked and logged as Apollo does it', async () => {
    const { accessToken } = await production.login('root', 'a long admin passphrase');
    jest
      .spyOn(production.app.services.accounts, 'listUsers')
      .mockRejectedValue(new Error('relation "users" leaked'));
    const request = () =>
      fetch(`${production.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ query: '{ users { id } }' }),
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const first = await request();
    answer.mockClear();
    const second = await request();
    expect(await answer.mock.results[0]?.value).toBeDefined(); // the short way answered
    expect(second).toEqual(first);
    expect(second.body).not.toContain('leaked');
    expect(JSON.parse(second.body).errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    const logged = lines.filter((line) => line.includes('leaked'));
    expect(logged).toHaveLength(2);
  });
});

describe('the document cache', () => {
  const prepared = () =>
    new PreparedQueries({
      schema: undefined as never,
      formatError: (formatted) => formatted,
      onErrors: () => undefined,
    });
  const accept = async (queries: PreparedQueries, source: string) => {
    const listener = await queries.plugin().requestDidStart!({} as never);
    await listener!.didResolveOperation!({
      source,
      document: { kind: 'Document', definitions: [] },
      operation: { operation: 'query' },
      request: { http: { method: 'POST' } },
    } as never);
  };

  it('is bounded', async () => {
    const queries = prepared();
    for (let i = 0; i < 250; i++) await accept(queries, `{ a${i}: publicMessage }`);
    expect(queries.size).toBe(200);
  });

  it('keeps no long documents', async () => {
    const queries = prepared();
    await accept(queries, `{ ${'publicMessage '.repeat(200)}}`);
    expect(queries.size).toBe(0);
  });
});
