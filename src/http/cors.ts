/**
 * CORS in one place: the dispatcher grants it on every answer by path, and the /graphql route
 * answers the preflight with the same grant, so the two can never disagree.
 */
import type { ServerResponse } from 'node:http';
import type { Config } from '../config';

export type CorsConfig = Pick<Config, 'authCookie' | 'corsOrigins'>;

/**
 * The CORS headers for a request from `origin`. Bearer tokens travel in a header, not a cookie,
 * so by default any origin may call, without credentials (`*`). In cookie mode the cookie is a
 * credential: only the origins of CORS_ORIGINS are granted, with credentials; others get none.
 */
export function corsGrant(config: CorsConfig, origin: string | undefined): Record<string, string> {
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
export function corsFor(
  config: CorsConfig,
  path: string,
  origin: string | undefined,
): Record<string, string> {
  if (path === '/graphql') return corsGrant(config, origin);
  if (path === '/.well-known/jwks.json') return { 'access-control-allow-origin': '*' };
  return {};
}

/** The answer to an OPTIONS preflight of /graphql. */
export function preflight(res: ServerResponse, cors: Record<string, string>): void {
  res.writeHead(204, {
    ...cors,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers':
      'authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id',
    'access-control-max-age': '600',
  });
  res.end();
}
