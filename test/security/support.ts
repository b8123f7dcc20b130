/**
 * Helpers for the attack tests: raw HTTP (any method, body, header, and the local address the
 * request comes from, so a test can be several clients without X-Forwarded-For), and JWTs
 * built by hand, byte by byte, as an attacker would.
 */
import { createHmac } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';

/** The JWT_SECRET that test/support/harness.ts gives every test server. */
export const HARNESS_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: { data?: Record<string, unknown> | null; errors?: GraphQLErrorBody[] } | undefined;
}

export interface RawRequest {
  method?: string;
  /** Path and query string; default /graphql. */
  path?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** The loopback address to send from (127.0.0.0/8): a different client to the server. */
  localAddress?: string;
  /** Send the body with chunked transfer encoding, without a content-length. */
  chunked?: boolean;
}

export function rawRequest(baseUrl: string, options: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(options.path ?? '/graphql', baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: options.method ?? 'POST',
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: RawResponse['json'];
          try {
            json = JSON.parse(text) as RawResponse['json'];
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        const body = Buffer.from(options.body);
        for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
      } else {
        req.setHeader('content-length', Buffer.byteLength(options.body));
        req.write(options.body);
      }
    }
    req.end();
  });
}

/** A JSON GraphQL POST, optionally from another local address. */
export function postGraphQL(
  baseUrl: string,
  query: string,
  options: {
    variables?: Record<string, unknown>;
    headers?: Record<string, string>;
    localAddress?: string;
  } = {},
): Promise<RawResponse> {
  return rawRequest(baseUrl, {
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ query, variables: options.variables }),
    localAddress: options.localAddress,
  });
}

export const LOGIN =
  'mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken } }';
export const REFRESH =
  'mutation ($r: String!) { refresh(refreshToken: $r) { accessToken refreshToken } }';

/** The `extensions` of the first error. */
export function firstCode(res: RawResponse): Record<string, unknown> | undefined {
  return res.json?.errors?.[0]?.extensions;
}

export function base64url(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * A compact JWS from its parts. `header` and `payload` are JSON-encoded unless they are
 * strings, which are taken as the exact text to encode (non-JSON payloads).
 */
export function compactJws(
  header: unknown,
  payload: unknown,
  sign: (signingInput: string) => Buffer | string,
): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  const signature = sign(input);
  return `${input}.${typeof signature === 'string' ? signature : signature.toString('base64url')}`;
}

export const hmacSha256 =
  (secret: string | Buffer) =>
  (input: string): Buffer =>
    createHmac('sha256', secret).update(input).digest();

/** Header and claims of a JWT, read without any check. */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * For the beforeAll that starts a server: about a second on an idle machine, but a loaded one
 * (other test files, other work) can take far longer than jest's default.
 */
export const START_TIMEOUT_MS = 120_000;
