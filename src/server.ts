/**
 * The composition root: services, the schema and the HTTP layer (src/http), wired once and
 * closed in reverse. createServer composes the product; composeApp takes the parts that
 * differ, so bench/ composes its unguarded baseline from the same pieces. listen is separate,
 * so tests run it on an ephemeral port.
 */
import type { AddressInfo } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import { RequestAuth } from './auth/authenticate';
import { ConfigError, type Config } from './config';
import type { RoleOrder } from './auth/roles';
import { startApollo, type SchemaPlugins } from './http/apollo';
import { contextFor, type CallerFor } from './http/context';
import { createDispatcher } from './http/dispatch';
import { drain, SHUTDOWN_GRACE_MS } from './http/drain';
import type { HttpTimeouts } from './http/http-timeouts';
import { createNodeServer, listen } from './http/node-server';
import { graphqlRoute } from './http/routes/graphql';
import { createSubscriptions } from './http/subscriptions';
import { routeTable } from './http/routes';
import { errorFields, jsonLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { mutationGuardPlugin } from './plugins/mutation-guard';
import { startPruning } from './pruning';
import { buildAuthSchema } from './schema/build-schema';
import { openServices, type ServiceOptions, type Services } from './services';
import { resolveApp, type AuthApp } from './app';

export { MAX_BODY_BYTES } from './http/body';

export interface App {
  readonly services: Services;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, finishes in-flight requests, closes the database. */
  close(): Promise<void>;
}

export interface AppOptions extends ServiceOptions {
  /** An app built on the server (src/index.ts); the standalone server when not given. */
  readonly app?: AuthApp;
  readonly logger?: Logger;
  /** Tests only: limits shorter than HTTP_TIMEOUTS, so that a slow client is quick to test. */
  readonly httpTimeouts?: HttpTimeouts;
}

/** What is served: the schema, who the caller is, and the Apollo plugins the schema needs. */
export interface AppParts {
  readonly schema: GraphQLSchema;
  readonly callerFor: CallerFor;
  readonly plugins: SchemaPlugins;
}

export async function createServer(config: Config, options: AppOptions = {}): Promise<App> {
  const app = resolveApp(options.app);
  const schema = await buildAuthSchema(app.schema, {
    mfaRequiredRoles: checkMfaRequiredRoles(config.mfaRequiredRoles, app.roles),
  });
  return composeApp(config, options, (services) => ({
    schema,
    callerFor: (authorization) => new RequestAuth(services.deps, authorization),
    plugins: { mutationGuard: mutationGuardPlugin(schema) },
  }));
}

/** MFA_REQUIRED_ROLES must name roles of the app's order, which loadConfig cannot know. */
function checkMfaRequiredRoles(roles: readonly string[], order: RoleOrder): readonly string[] {
  const unknown = roles.find((role) => !order.isRole(role));
  if (unknown !== undefined) {
    throw new ConfigError(
      'MFA_REQUIRED_ROLES',
      `"${unknown}" is not a role of this server (${order.describe()})`,
    );
  }
  return roles;
}

export async function composeApp(
  config: Config,
  options: AppOptions,
  partsFor: (services: Services) => AppParts | Promise<AppParts>,
): Promise<App> {
  const logger = options.logger ?? jsonLogger({ level: config.logLevel });
  const app = resolveApp(options.app);
  // Read at scrape time, after `services` exists.
  const metrics = createMetrics({ bcryptQueueDepth: () => services.deps.hasher.pending });
  const services = await openServices(config, {
    onStoreError: (what, error) => logger.warn(what, errorFields(error)),
    onLogMail: (mail) =>
      logger.info('mail (SMTP_URL is not set, so it is logged, not sent)', { mail }),
    observe: metrics,
    roles: app.roles,
    migrations: app.migrations,
    demoUsers: app.demoUsers,
    ...options,
  });
  const started = await Promise.resolve()
    .then(async () => ({
      parts: await partsFor(services),
      appContext: await app.context({ sql: services.database.sql, accounts: services.accounts }),
    }))
    .catch(async (error: unknown) => {
      await services.close();
      throw error;
    });
  const { schema, callerFor, plugins } = started.parts;
  const httpServer = createNodeServer(options.httpTimeouts);
  const production = config.env === 'production';
  const { apollo, preparedQueries } = await startApollo({
    schema,
    logger,
    production,
    plugins,
    sandboxDocument: app.sandboxDocument,
  });
  let closing: Promise<void> | undefined;
  const isClosing = () => closing !== undefined;
  const context = contextFor({
    services,
    callerFor,
    metrics,
    config,
    appContext: started.appContext,
  });
  const graphql = graphqlRoute({ config, apollo, preparedQueries, contextFor: context, isClosing });
  const routes = routeTable({ config, services, registry: metrics.registry, logger, graphql });
  const dispatcher = createDispatcher({ routes, config, metrics, logger, isClosing });
  httpServer.on('request', dispatcher.handle);
  const subscriptions = createSubscriptions({
    schema,
    callerFor,
    contextFor: context,
    sessions: services.sessions,
    config,
    logger,
    now: services.deps.now,
    isClosing,
  });
  httpServer.on('upgrade', subscriptions.handleUpgrade);
  const stopPruning = startPruning(services, logger);

  return {
    services,
    listen: (port, host) => listen(httpServer, port, host),
    close: () => {
      closing ??= (async () => {
        stopPruning();
        // Websockets are long-lived by design: they are told to go (1001), not waited for.
        await subscriptions.close();
        await drain(httpServer, dispatcher.inFlight, SHUTDOWN_GRACE_MS);
        await apollo.stop();
        await services.close();
      })();
      return closing;
    },
  };
}
