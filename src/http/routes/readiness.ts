/**
 * GET /readyz: whether every store this instance depends on answers, so that a load balancer
 * sends it no traffic while one does not. Each check gets READY_TIMEOUT_MS.
 */
import type { Route } from '../dispatch';
import { sendJson } from '../json';
import { withTimeout } from '../with-timeout';
import { errorFields, type Logger } from '../../logger';
import type { ReadinessCheck, Services } from '../../services';

const READY_TIMEOUT_MS = 2000;

export function readinessRoute(readiness: Services['readiness'], logger: Logger): Route {
  return async (_req, res, _search, requestId) => {
    // Stable names for the load balancer; what went wrong goes to the log only.
    const failed: ReadinessCheck[] = [];
    await Promise.all(
      Object.entries(readiness).map(async ([name, check]) => {
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
  };
}
