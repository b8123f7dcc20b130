/** GET /healthz: the process answers. Nothing else is checked; that is /readyz. */
import { sendJson } from '../json';
import type { Route } from '../dispatch';

export const healthRoute: Route = async (_req, res) => sendJson(res, 200, { status: 'ok' });
