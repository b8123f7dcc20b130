/**
 * The route table: path → handler, decided once at start-up from the configuration, so that a
 * request costs one lookup and a route that is switched off does not exist at all.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { Services } from '../../services';
import type { Route } from '../dispatch';
import { accountPageRoutes } from './account-pages';
import { examplePageRoutes } from './example-page';
import { healthRoute } from './health';
import { jwksRoute } from './jwks';
import { metricsRoute } from './metrics';
import { readinessRoute } from './readiness';

export interface RouteTableOptions {
  readonly config: Pick<Config, 'authCookie' | 'env' | 'metrics' | 'trustProxyHops'>;
  readonly services: Pick<Services, 'readiness' | 'keys' | 'accountMail'>;
  readonly registry: Registry;
  readonly logger: Logger;
  /** POST and GET /graphql (routes/graphql.ts), built by the caller with Apollo. */
  readonly graphql: Route;
}

export function routeTable(options: RouteTableOptions): Readonly<Record<string, Route>> {
  const { config, services, registry, logger } = options;
  return {
    '/graphql': options.graphql,
    // The example web app of cookie mode (examples/web), never in production.
    ...(config.authCookie && config.env !== 'production' ? examplePageRoutes() : {}),
    // What links in mail open (routes/account-pages.ts).
    ...accountPageRoutes(services, config),
    '/healthz': healthRoute,
    '/metrics': metricsRoute(config.metrics, registry),
    '/readyz': readinessRoute(services.readiness, logger),
    '/.well-known/jwks.json': jwksRoute(services.keys),
  };
}
