/**
 * GET /metrics: Prometheus text, behind METRICS_TOKEN unless METRICS_PUBLIC=true; counters
 * and latencies are the operator's, not a web page's or a stranger's (docs/SECURITY.md).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Config } from '../../config';
import type { Route } from '../dispatch';
import { sendJson } from '../json';

export function metricsRoute(access: Config['metrics'], registry: Registry): Route {
  return async (req, res) => {
    if (access === 'off') {
      return sendJson(res, 403, {
        error: 'GET /metrics needs METRICS_TOKEN in production (or METRICS_PUBLIC=true).',
      });
    }
    if (access !== 'public' && !bearerMatches(req.headers.authorization, access.token)) {
      return sendJson(
        res,
        401,
        { error: 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>".' },
        { 'www-authenticate': 'Bearer' },
      );
    }
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(await registry.metrics());
  };
}

/** Constant-time comparison of a Bearer credential with the expected token. */
function bearerMatches(header: string | undefined, expected: string): boolean {
  const given = Buffer.from(/^bearer +(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
