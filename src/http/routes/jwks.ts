/**
 * GET /.well-known/jwks.json: the public keys that verify our access tokens, for other
 * services; any origin may read them, and caches may keep them for five minutes.
 */
import type { SigningKeys } from '../../auth/keys';
import type { Route } from '../dispatch';
import { sendJson } from '../json';

export function jwksRoute(keys: Pick<SigningKeys, 'jwks'>): Route {
  return async (_req, res) =>
    sendJson(res, 200, keys.jwks, { 'cache-control': 'public, max-age=300' });
}
