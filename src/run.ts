/**
 * Runs a server as `npm start` does: config from the environment → server → listen; signals;
 * the start banner. The only place that exits the process. `npm start` runs the standalone
 * server (src/main.ts); an app passes its own definition (src/index.ts).
 */
import 'reflect-metadata';
import type { AuthApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { errorFields, jsonLogger } from './logger';
import { createServer, type App } from './server';

/** Starts `app` (the standalone server when not given); exits the process on failure or stop. */
export function runServer(app?: AuthApp): void {
  main(app).catch((error: unknown) => {
    // A variable only the app's definition can judge (MFA_REQUIRED_ROLES) is refused here.
    process.stderr.write(
      error instanceof ConfigError
        ? `Configuration error: ${error.message}\n`
        : `Failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}

async function main(appDefinition: AuthApp | undefined): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(1);
  }
  const logger = jsonLogger({ level: config.logLevel });
  for (const warning of config.warnings) logger.warn(warning);

  // Handlers first: a signal that arrives while the server starts must not find node's
  // default (terminate at once, the embedded database half-written).
  // The first signal stops gracefully (in-flight requests finish, up to the grace period); a
  // second one, e.g. Ctrl-C pressed again, ends the process at once (the shell says 130/143).
  let app: App | undefined = undefined; // set once created; `stop` reads it
  let stopping = false;
  const close = (started: App) =>
    started.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', errorFields(error));
        process.exit(1);
      },
    );
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // Die of the signal itself, as if we had no handler: process.exit would wait for a
      // bcrypt thread to finish its hash.
      logger.warn('stopped without waiting', { signal });
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    stopping = true;
    logger.info('shutting down', { signal });
    if (app) void close(app); // else as soon as it exists, below
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  logger.debug('starting', { env: config.env, database: config.database.kind });

  app = await createServer(config, { logger, app: appDefinition });
  if (stopping) return void close(app);
  const address = await app.listen(config.port, config.host);
  if (stopping) return; // closing already: nothing to announce
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${address.port}/graphql`;
  logger.info('listening', { url, env: config.env, database: config.database.kind });
  if (config.env !== 'production') {
    const lines = [
      `GraphQL auth server ready at ${url}`,
      `Open it in a browser for Apollo Sandbox (${config.database.kind} database).`,
      ...(config.authCookie
        ? [`Cookie mode: the example web app is at ${url.slice(0, -'graphql'.length)}`]
        : []),
      ...app.services.notes,
      ...(app.services.notes.length > 0 && !config.bootstrapAdmin
        ? [
            'Try: mutation { login(username: "alice", password: "secret123") { accessToken refreshToken } }',
          ]
        : []),
    ];
    process.stdout.write(`\n  ${lines.join('\n  ')}\n\n`);
  }
}
