/**
 * Starts the real server on an ephemeral port, on a memory:// database loaded from the
 * migrated template, and talks to it over HTTP as a client would.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config';
import { silentLogger, type Logger } from '../../src/logger';
import type { HttpTimeouts } from '../../src/http/http-timeouts';
import { createServer, type App } from '../../src/server';
import type { AuthApp } from '../../src/app';
import { createTestBackend, postgresBackendEnabled } from './postgres';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  headers: Headers;
}

export interface TestServer {
  readonly app: App;
  readonly url: string;
  /** Milliseconds added to the real clock: move time forward with `clock.advance(s)`. */
  readonly clock: { advance(seconds: number): void; now(): number };
  gql<T = Record<string, unknown>>(
    query: string,
    options?: {
      variables?: Record<string, unknown>;
      token?: string;
      headers?: Record<string, string>;
    },
  ): Promise<GraphQLResponse<T>>;
  login(username: string, password: string): Promise<TokenPair>;
  close(): Promise<void>;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  refreshExpiresIn: number;
}

export function templateBlob(): Blob | undefined {
  const file = process.env.PGLITE_TEMPLATE_FILE;
  return file ? new Blob([readFileSync(file)]) : undefined;
}

export async function startTestServer(
  env: Record<string, string> = {},
  options: { logger?: Logger; httpTimeouts?: HttpTimeouts; app?: AuthApp } = {},
): Promise<TestServer> {
  let offsetMs = 0;
  // On the postgres+redis project, a server without its own DATABASE_URL gets a fresh database.
  const backend =
    postgresBackendEnabled() && env.DATABASE_URL === undefined
      ? await createTestBackend()
      : undefined;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'memory://',
    BCRYPT_COST: '4',
    JWT_SECRET: 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
    ...backend?.env,
    ...env,
  });
  const app = await createServer(config, {
    pgliteTemplate: config.database.kind === 'memory' ? templateBlob() : undefined,
    logger: options.logger ?? silentLogger,
    httpTimeouts: options.httpTimeouts,
    app: options.app,
    now: () => Date.now() + offsetMs,
  });
  const address = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;

  const gql: TestServer['gql'] = async (query, { variables, token, headers = {} } = {}) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse, 'status' | 'headers'>;
    return { ...body, status: response.status, headers: response.headers } as never;
  };

  return {
    app,
    url,
    clock: {
      advance: (seconds) => void (offsetMs += seconds * 1000),
      now: () => Date.now() + offsetMs,
    },
    gql,
    login: async (username, password) => {
      const result = await gql<{ login: TokenPair }>(
        'mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken tokenType expiresIn refreshExpiresIn } }',
        { variables: { u: username, p: password } },
      );
      if (!result.data?.login) throw new Error(`login failed: ${JSON.stringify(result.errors)}`);
      return result.data.login;
    },
    close: async () => {
      await app.close();
      await backend?.drop();
    },
  };
}

/** The `extensions` of the first error, for `toMatchObject`. */
export function firstError(response: GraphQLResponse): Record<string, unknown> | undefined {
  return response.errors?.[0]?.extensions;
}
