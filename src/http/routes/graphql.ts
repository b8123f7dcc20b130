/**
 * POST and GET /graphql: the body read with its limit, the cookie of cookie mode, then the
 * short way for a query Apollo has accepted before, else Apollo's own pipeline.
 */
import type { IncomingMessage } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Config } from '../../config';
import type { PreparedQueries } from '../../plugins/prepared-queries';
import type { Context } from '../../schema/context';
import { HttpProblem, readBody } from '../body';
import type { ContextFor } from '../context';
import { corsGrant, preflight } from '../cors';
import type { Route } from '../dispatch';
import { graphqlError, sendJson } from '../json';
import { RequestRefreshCookie } from '../refresh-cookie';

export interface GraphqlRouteOptions {
  readonly config: Pick<Config, 'authCookie' | 'corsOrigins' | 'env'>;
  readonly apollo: ApolloServer<Context>;
  readonly preparedQueries: PreparedQueries;
  readonly contextFor: ContextFor;
  /** True once shutdown has begun: from then on Apollo answers every request. */
  readonly isClosing: () => boolean;
}

/** The headers that show a request was made by script, not by a form (Apollo's CSRF list). */
const CSRF_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'] as const;

export function graphqlRoute(options: GraphqlRouteOptions): Route {
  const { config, apollo, preparedQueries, contextFor, isClosing } = options;
  return async (req, res, search, requestId) => {
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
      req.method === 'POST' && !isClosing()
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
  };
}

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}
