/**
 * HTTP and Apollo wiring: /graphql, /healthz, /readyz, /.well-known/jwks.json, and shutdown.
 *
 * It serves on node:http directly, keeping @apollo/server's request pipeline (CSRF prevention,
 * document cache, plugins) without a web framework in front of it. createServer builds; listen
 * is separate, so tests run it on an ephemeral port.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { errorLogPlugin, logUnexpectedErrors } from './plugins/error-log';
import { PreparedQueries } from './plugins/prepared-queries';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { timingSafeEqual } from 'node:crypto';
import type { Config } from './config';
import { createMetrics } from './metrics';
import { FixedCaller, RequestAuth, type Caller } from './auth/authenticate';
import { clientAddress, requestIdFrom } from './client-address';
import { errorFields, jsonLogger, type Logger } from './logger';
import { mutationGuardPlugin } from './plugins/mutation-guard';
import { buildAuthSchema, buildUnguardedSchemaForBenchmark } from './schema/build-schema';
import type { Context } from './schema/context';
import { documentLimitRules, QUERY_LIMITS } from './schema/limits';
import { createErrorFormatter, INTERNAL_ERROR } from './schema/to-graphql-error';
import { EXAMPLE_PAGE_PATHS, serveExamplePage } from './example-page';
import { httpTimeoutOptions, type HttpTimeouts } from './http-timeouts';
import { RequestRefreshCookie } from './refresh-cookie';
import { openServices, type ReadinessCheck, type ServiceOptions, type Services } from './services';

export interface App {
  readonly services: Services;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, finishes in-flight requests, closes the database. */
  close(): Promise<void>;
}

export interface AppOptions extends ServiceOptions {
  readonly logger?: Logger;
  /**
   * Benchmark baseline only: no guard is enforced and every request acts as the first admin.
   * No environment variable reaches it; only bench/ passes it, so no deployment can turn it on.
   */
  readonly unguardedForBenchmark?: boolean;
  /** Tests only: limits shorter than HTTP_TIMEOUTS, so that a slow client is quick to test. */
  readonly httpTimeouts?: HttpTimeouts;
}

/** GraphQL documents are small; anything bigger is abuse. */
export const MAX_BODY_BYTES = 100 * 1024;
/**
 * Node's default (16 KB) would answer an oversized Authorization header with a bare 431 before
 * we see it; with room for a 100 KB header the token check refuses it as UNAUTHENTICATED, and
 * anything larger still gets a JSON 431 (see `clientError` below).
 */
export const MAX_HEADER_BYTES = 128 * 1024;
const READY_TIMEOUT_MS = 2000;
const PRUNE_INTERVAL_MS = 10 * 60 * 1000;
/** How long shutdown waits for the requests still running. */
const SHUTDOWN_GRACE_MS = 10_000;

export const SANDBOX_DOCUMENT = `# Log in as a demo user, then copy accessToken into the Headers panel:
#   Authorization: Bearer <accessToken>
# and run the operations below (select one with the ▶ button).
mutation Login {
  login(username: "alice", password: "secret123") {
    accessToken
    refreshToken
    expiresIn
  }
}

query Me {
  me { id username role isActive createdAt }
}

query AdminDashboard {
  adminDashboard { message userCount activeSessionCount }
}
`;

export async function createServer(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? jsonLogger({ level: config.logLevel });
  const production = config.env === 'production';
  const benchmarkWithoutAuth = options.unguardedForBenchmark === true;
  const schema = benchmarkWithoutAuth
    ? await buildUnguardedSchemaForBenchmark()
    : await buildAuthSchema();
  // Read at scrape time, after `services` exists.
  const metrics = createMetrics({ bcryptQueueDepth: () => services.deps.hasher.pending });
  const services = await openServices(config, {
    onStoreError: (what, error) => logger.warn(what, errorFields(error)),
    observe: metrics,
    ...options,
  });
  const callerFor = benchmarkWithoutAuth
    ? await benchmarkCaller(services)
    : (authorization: string | undefined): Caller => new RequestAuth(services.deps, authorization);
  const httpServer = createHttpServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    ...httpTimeoutOptions(options.httpTimeouts),
  });

  const formatError = createErrorFormatter({ production });
  // Queries Apollo has accepted once skip its pipeline afterwards (see the module).
  const preparedQueries = new PreparedQueries({
    schema,
    formatError,
    onErrors: (errors, context) => logUnexpectedErrors(logger, errors, context),
  });
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !production,
    csrfPrevention: true,
    // src/main.ts owns SIGINT/SIGTERM. Apollo's own handlers would re-raise the signal after
    // stop(), which our handler ignores, so the process never exited.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: production,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    validationRules: documentLimitRules(),
    formatError,
    plugins: [
      errorLogPlugin(logger),
      preparedQueries.plugin(),
      // Cache hints are for CDNs; auth answers are per-user and never cached (no-store).
      ApolloServerPluginCacheControlDisabled(),
      ...(benchmarkWithoutAuth ? [] : [mutationGuardPlugin(schema)]),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, document: SANDBOX_DOCUMENT }),
    ],
  });
  await apollo.start();

  const contextFor = (
    req: IncomingMessage,
    requestId: string,
    refreshCookie: RequestRefreshCookie | undefined,
  ): Context => ({
    refreshCookie,
    auth: callerFor(req.headers.authorization),
    sessions: services.sessions,
    accounts: services.accounts,
    audit: services.deps.audit,
    onGuardDenied: metrics.guardDenied,
    client: {
      address: clientAddress(
        req.socket.remoteAddress,
        req.headers['x-forwarded-for'],
        config.trustProxyHops,
      ),
      userAgent: req.headers['user-agent'],
      requestId,
    },
  });

  let closing: Promise<void> | undefined;

  const routes: Record<
    string,
    (req: IncomingMessage, res: ServerResponse, search: string, requestId: string) => Promise<void>
  > = {
    '/graphql': async (req, res, search, requestId) => {
      if (req.method === 'OPTIONS') return preflight(res, corsGrant(config, req.headers.origin));
      if (req.method !== 'GET' && req.method !== 'POST') {
        return sendJson(res, 405, graphqlError('Use GET or POST.', 'METHOD_NOT_ALLOWED'), {
          allow: 'GET, POST',
        });
      }
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      if (body instanceof HttpProblem)
        return sendJson(res, body.status, graphqlError(body.message, body.code));
      // Cookie mode: resolvers read and set the refresh-token cookie through the context.
      const refreshCookie = config.authCookie
        ? new RequestRefreshCookie(
            req.headers.cookie,
            CSRF_HEADERS.some((name) => (req.headers[name] ?? '') !== ''),
            config.env !== 'development',
          )
        : undefined;
      const context = () => contextFor(req, requestId, refreshCookie);
      // A query Apollo has accepted before skips its pipeline; once stopping, Apollo decides.
      const prepared =
        req.method === 'POST' && closing === undefined
          ? await preparedQueries.answer(
              body,
              req.headers['content-type'],
              req.headers.accept,
              context,
            )
          : undefined;
      const response =
        prepared ??
        (await apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method, headers: toHeaderMap(req), search, body },
          context: async () => context(),
        }));
      for (const [name, value] of response.headers) res.setHeader(name, value);
      if (refreshCookie?.setCookie) res.setHeader('set-cookie', refreshCookie.setCookie);
      res.setHeader('cache-control', 'no-store'); // responses carry tokens
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') return void res.end(response.body.string);
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    },
    // The example web app of cookie mode (examples/web), never in production.
    ...(config.authCookie && !production
      ? Object.fromEntries(
          EXAMPLE_PAGE_PATHS.map((path) => [
            path,
            async (_req: IncomingMessage, res: ServerResponse) => serveExamplePage(res, path),
          ]),
        )
      : {}),
    '/healthz': async (_req, res) => sendJson(res, 200, { status: 'ok' }),
    '/metrics': async (req, res) => {
      if (config.metrics === 'off') {
        return sendJson(res, 403, {
          error: 'GET /metrics needs METRICS_TOKEN in production (or METRICS_PUBLIC=true).',
        });
      }
      if (
        config.metrics !== 'public' &&
        !bearerMatches(req.headers.authorization, config.metrics.token)
      ) {
        return sendJson(
          res,
          401,
          { error: 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>".' },
          { 'www-authenticate': 'Bearer' },
        );
      }
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
    },
    '/readyz': async (_req, res, _search, requestId) => {
      // Stable names for the load balancer; what went wrong goes to the log only.
      const failed: ReadinessCheck[] = [];
      await Promise.all(
        Object.entries(services.readiness).map(async ([name, check]) => {
          try {
            await withTimeout(check(), READY_TIMEOUT_MS);
          } catch (error) {
            failed.push(name as ReadinessCheck);
            logger.warn('not ready', { requestId, check: name, ...errorFields(error) });
          }
        }),
      );
      if (failed.length === 0) return sendJson(res, 200, { status: 'ready' });
      failed.sort();
      sendJson(res, 503, { status: 'unavailable', reason: failed[0], reasons: failed });
    },
    '/.well-known/jwks.json': async (_req, res) =>
      sendJson(res, 200, services.keys.jwks, { 'cache-control': 'public, max-age=300' }),
  };

  // Requests being handled, including those whose client went away: a login still runs, and
  // must finish before the database closes.
  const inFlight = new Set<Promise<void>>();

  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const search = queryStart === -1 ? '' : url.slice(queryStart);
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    if (closing) res.setHeader('connection', 'close');
    setSecurityHeaders(res, production, corsFor(config, path, req.headers.origin));
    // Own properties only: "/constructor" must not find Object's.
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requestFinished(route ? path : 'other', res.statusCode, seconds);
      logger.debug('request', {
        requestId,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round(seconds * 10_000) / 10,
      });
    });
    if (!route) return sendJson(res, 404, { error: 'Not found. The API is at /graphql.' });
    const handled = route(req, res, search, requestId).catch((error: unknown) => {
      // A client that hung up, or was cut off by a timeout, mid-body: routine, nothing to answer.
      if (error instanceof RequestAborted)
        return void logger.debug('request aborted', { path, requestId });
      logger.error('request failed', { path, requestId, ...errorFields(error) });
      if (!res.headersSent)
        sendJson(res, 500, graphqlError(INTERNAL_ERROR.message, INTERNAL_ERROR.code));
      else res.destroy();
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });

  // Requests node cannot parse (headers over MAX_HEADER_BYTES, broken HTTP) get a JSON error too.
  httpServer.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    answerClientError(error, socket);
  });

  const pruner = setInterval(() => {
    services.prune().catch((error: unknown) => logger.warn('pruning failed', errorFields(error)));
  }, PRUNE_INTERVAL_MS);
  pruner.unref();

  return {
    services,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve(httpServer.address() as AddressInfo));
      }),
    close: () => {
      closing ??= (async () => {
        clearInterval(pruner);
        await drain(httpServer, inFlight, SHUTDOWN_GRACE_MS);
        await apollo.stop();
        await services.close();
      })();
      return closing;
    },
  };
}

/**
 * Stops accepting connections, lets the requests being handled finish (up to `graceMs`, also
 * those whose client went away and those that arrive on a kept-alive connection meanwhile),
 * then closes every connection. Answers sent while closing say `connection: close`.
 */
async function drain(
  httpServer: HttpServer,
  inFlight: ReadonlySet<Promise<void>>,
  graceMs: number,
): Promise<void> {
  const deadline = Date.now() + graceMs;
  const closed = new Promise((resolve) => httpServer.close(resolve));
  httpServer.closeIdleConnections();
  while (inFlight.size > 0 && Date.now() < deadline) {
    await withTimeout(Promise.all(inFlight), deadline - Date.now()).catch(() => undefined);
  }
  httpServer.closeIdleConnections();
  // A connection still open now has a request past the grace period, or a client that sends
  // nothing: neither gets more time.
  await withTimeout(closed, 100).catch(() => httpServer.closeAllConnections());
}

/** The benchmark baseline: every request acts as the first admin, with no token checked. */
async function benchmarkCaller(services: Services): Promise<() => Caller> {
  const [admin] = await services.accounts.listUsers({ first: 1, role: 'ADMIN', active: true });
  if (!admin) throw new Error('the unguarded benchmark needs an admin user (BOOTSTRAP_ADMIN_*)');
  const caller = new FixedCaller({
    userId: admin.id,
    role: admin.role,
    sessionId: 'benchmark',
    tokenId: 'benchmark',
    expiresAt: Number.MAX_SAFE_INTEGER,
  });
  return () => caller;
}

class HttpProblem {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly code: string,
  ) {}
}

/** The body, parsed when it is JSON; an HttpProblem when it is too large or not valid JSON. */
async function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return tooLarge(req);
  const text = await readText(req);
  if (text === undefined) return tooLarge(req);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/json') && !type.includes('+json')) return text;
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return new HttpProblem(400, 'The request body is not valid JSON.', 'BAD_REQUEST');
  }
}

/**
 * The body as UTF-8, or undefined past MAX_BODY_BYTES. Plain 'data'/'end' events: an async
 * iterator over the request costs a few promises per request, and this runs on every one.
 */
function readText(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.removeAllListeners('data').removeAllListeners('end');
      resolve(undefined);
    };
    let ended = false;
    req.on('data', onData);
    req.once('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    });
    req.once('error', () => reject(new RequestAborted()));
    req.once('close', () => {
      // The client went away before the end: nothing to answer.
      if (!ended) reject(new RequestAborted());
    });
  });
}

/** The body did not arrive whole: the client hung up or a timeout cut it off. */
class RequestAborted extends Error {
  constructor() {
    super('the request was aborted');
  }
}

function tooLarge(req: IncomingMessage): HttpProblem {
  req.resume(); // drain, so the connection can answer
  return new HttpProblem(
    413,
    `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
    'PAYLOAD_TOO_LARGE',
  );
}

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** The headers that show a request was made by script, not by a form (Apollo's CSRF list). */
const CSRF_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'] as const;

/**
 * The CORS headers for a request from `origin`. Bearer tokens travel in a header, not a cookie,
 * so by default any origin may call, without credentials (`*`). In cookie mode the cookie is a
 * credential: only the origins of CORS_ORIGINS are granted, with credentials; others get none.
 */
function corsGrant(config: Config, origin: string | undefined): Record<string, string> {
  if (!config.authCookie) return { 'access-control-allow-origin': '*' };
  if (origin === undefined || !config.corsOrigins.includes(origin)) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
}

/**
 * CORS is for the API and the public keys. The operational endpoints (/metrics, /healthz,
 * /readyz) and the example page grant no other origin anything: a web page must not read them.
 */
function corsFor(config: Config, path: string, origin: string | undefined): Record<string, string> {
  if (path === '/graphql') return corsGrant(config, origin);
  if (path === '/.well-known/jwks.json') return { 'access-control-allow-origin': '*' };
  return {};
}

function preflight(res: ServerResponse, cors: Record<string, string>): void {
  res.writeHead(204, {
    ...cors,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers':
      'authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id',
    'access-control-max-age': '600',
  });
  res.end();
}

function setSecurityHeaders(
  res: ServerResponse,
  production: boolean,
  cors: Record<string, string>,
): void {
  for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
  if (cors['access-control-allow-origin']) {
    res.setHeader('access-control-expose-headers', 'x-request-id');
  }
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  if (production) {
    res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
    // No Sandbox in production: nothing we serve is a page, so nothing may load or frame it.
    res.setHeader('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  }
}

/** A JSON answer for what node's HTTP parser refused, then the connection is closed. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const known = error.code !== undefined && Object.hasOwn(CLIENT_ERRORS, error.code);
  const [status, reason, code, message] = CLIENT_ERRORS[known ? error.code! : 'other']!;
  const body = JSON.stringify(graphqlError(message, code));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * The status says what went wrong; the code is the contract's BAD_REQUEST (docs/API.md,
 * "Request errors"), so a client needs no code beyond the contract's to handle them.
 */
const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'BAD_REQUEST',
    `The request headers are larger than ${MAX_HEADER_BYTES} bytes.`,
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'BAD_REQUEST', 'The request took too long.'],
  other: [400, 'Bad Request', 'BAD_REQUEST', 'The request is not valid HTTP.'],
};

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function graphqlError(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Constant-time comparison of a Bearer credential with the expected token. */
function bearerMatches(header: string | undefined, expected: string): boolean {
  const given = Buffer.from(/^bearer +(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
