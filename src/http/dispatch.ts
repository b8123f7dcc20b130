/**
 * What every request goes through, whichever route answers it: its request id, the security
 * and CORS headers, a metric and a log line when it finishes, a JSON 404 or 500, and its place
 * in the set of requests in flight that shutdown waits for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { corsFor, type CorsConfig } from './cors';
import { requestIdFrom } from './client-address';
import { RequestAborted } from './body';
import { graphqlError, sendJson } from './json';
import { setSecurityHeaders } from './security-headers';
import type { Config } from '../config';
import { errorFields, type Logger } from '../logger';
import type { Metrics } from '../metrics';
import { INTERNAL_ERROR } from '../schema/to-graphql-error';

/** One path's handler; `search` is the query string with its "?", or "". */
export type Route = (
  req: IncomingMessage,
  res: ServerResponse,
  search: string,
  requestId: string,
) => Promise<void>;

export interface DispatchOptions {
  readonly routes: Readonly<Record<string, Route>>;
  /** Who may read what (CORS), and the environment: production adds HSTS and a strict CSP. */
  readonly config: CorsConfig & Pick<Config, 'env'>;
  readonly metrics: Pick<Metrics, 'requestFinished'>;
  readonly logger: Logger;
  /** True once shutdown has begun: answers then say `connection: close`. */
  readonly isClosing: () => boolean;
}

export interface Dispatcher {
  /** The node server's 'request' listener. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Requests being handled, including those whose client went away: a login still runs, and
   * must finish before the database closes.
   */
  readonly inFlight: ReadonlySet<Promise<void>>;
}

export function createDispatcher(options: DispatchOptions): Dispatcher {
  const { routes, config, metrics, logger, isClosing } = options;
  const production = config.env === 'production';
  const inFlight = new Set<Promise<void>>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const search = queryStart === -1 ? '' : url.slice(queryStart);
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    if (isClosing()) res.setHeader('connection', 'close');
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
  };

  return { handle, inFlight };
}
