/**
 * The public entry point: build your own GraphQL API on this server. Bring type-graphql
 * resolvers guarded with `@Auth()`, `@HasRole()`, `@Public()` (and `@Owner()`), your roles and
 * your tables; get login, refresh, logout, the guards, limits, logs, metrics and the HTTP
 * server as `npm start` has them. README.md, "Use it as a library", shows a whole app.
 * Everything not exported here is internal and may change in any release.
 */
import 'reflect-metadata';
import { resolveApp, type AuthApp } from './app';
import type { Context } from './schema/context';
import { buildAuthSchema } from './schema/build-schema';
import { printAuthSchema } from './schema/emit-schema';

export type { AuthApp, AppServices } from './app';
export { runServer } from './run';
export { createServer, type App, type AppOptions } from './server';
export { ConfigError, loadConfig, type Config } from './config';
export { Auth, HasRole, Owner, Public, type GuardOptions } from './schema/decorators';
export type { OwnerRule } from './schema/directives/owner';
export { User } from './schema/types/user.type';
export { BadUserInput, Forbidden } from './auth/errors';
export type { Principal } from './auth/access-tokens';
export { ADMIN_ROLE, DEFAULT_ROLE, type Role } from './auth/roles';
export type { DemoUser } from './auth/seed';
export type { UserRecord } from './store/ports';
export type { SqlClient } from './store/database';
export type { AppMigration } from './store/migrations';

/**
 * What an app's resolver receives as `@Ctx()`: the caller (`auth.principal()` behind a guard),
 * the server's use cases, the client, and `app`, what the app's `context` built at start.
 */
export type AuthContext<AppContext = unknown> = Omit<Context, 'app'> & {
  readonly app: AppContext;
};

/** The app's SDL, with the applied directives printed, for codegen (like `npm run schema`). */
export async function printSchema(app: AuthApp, source = 'the app'): Promise<string> {
  return printAuthSchema(await buildAuthSchema(resolveApp(app).schema), source);
}
