/**
 * The GraphQL context of one request, from what the transport knows of it: its Authorization
 * header (turned into a caller by `callerFor`), its client, its request id and cookie. Both
 * ways of answering (Apollo and the short way) get it from here, so they see the same thing.
 */
import type { IncomingMessage } from 'node:http';
import type { Caller } from '../auth/authenticate';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { Context } from '../schema/context';
import type { Services } from '../services';
import { clientAddress } from './client-address';
import type { RequestRefreshCookie } from './refresh-cookie';

/** Who is calling, from the Authorization header: verified lazily, see RequestAuth. */
export type CallerFor = (authorization: string | undefined) => Caller;

export type ContextFor = (
  req: IncomingMessage,
  requestId: string,
  refreshCookie: RequestRefreshCookie | undefined,
) => Context;

export interface ContextOptions {
  readonly services: Pick<
    Services,
    'sessions' | 'accounts' | 'signUp' | 'accountMail' | 'secondFactors' | 'deps'
  >;
  readonly callerFor: CallerFor;
  readonly metrics: Pick<Metrics, 'guardDenied'>;
  /** trustProxyHops is TRUST_PROXY: how many proxies' X-Forwarded-For entries to believe. */
  readonly config: Pick<Config, 'trustProxyHops'>;
  /** What the app built at start (src/app.ts), the same object for every request. */
  readonly appContext?: unknown;
}

export function contextFor(options: ContextOptions): ContextFor {
  const { services, callerFor } = options;
  const onGuardDenied = options.metrics.guardDenied;
  const { trustProxyHops } = options.config;
  const app = options.appContext ?? {};
  return (req, requestId, refreshCookie) => ({
    refreshCookie,
    app,
    auth: callerFor(req.headers.authorization),
    sessions: services.sessions,
    accounts: services.accounts,
    signUp: services.signUp,
    accountMail: services.accountMail,
    secondFactors: services.secondFactors,
    audit: services.deps.audit,
    onGuardDenied,
    client: {
      address: clientAddress(
        req.socket.remoteAddress,
        req.headers['x-forwarded-for'],
        trustProxyHops,
      ),
      userAgent: req.headers['user-agent'],
      requestId,
    },
  });
}
