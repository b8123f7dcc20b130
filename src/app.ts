/**
 * What an app brings to the server when it is used as a library (src/index.ts): its own
 * type-graphql resolvers, its roles, its tables, and what its resolvers need at hand. The
 * standalone server is the app that brings nothing.
 */
import type { Accounts } from './auth/accounts';
import { RoleOrder, type Role } from './auth/roles';
import type { DemoUser } from './auth/seed';
import type { SchemaDefinition, ResolverClass } from './schema/build-schema';
import type { SqlClient } from './store/database';
import type { AppMigration } from './store/migrations';

export interface AuthApp<AppContext = unknown> {
  /** The app's type-graphql resolver classes, served next to ours on /graphql. */
  readonly resolvers?: readonly ResolverClass[];
  /** The roles, lowest first; each includes those below it. Must include USER, end with ADMIN. */
  readonly roles?: readonly Role[];
  /** The app's own tables: applied after ours, in order, under the same lock. */
  readonly migrations?: readonly AppMigration[];
  /** Created with alice and bob on an empty database, outside production only. */
  readonly demoUsers?: readonly DemoUser[];
  /**
   * Built once at start; every resolver finds it as `ctx.app`. Gets the database (the app's
   * tables, plain SQL) and the accounts (e.g. `findById` for a `User` field).
   */
  readonly context?: (services: AppServices) => AppContext | Promise<AppContext>;
  /** The operations Apollo Sandbox opens with, outside production; ours when not given. */
  readonly sandboxDocument?: string;
}

export interface AppServices {
  readonly sql: SqlClient;
  readonly accounts: Accounts;
}

/** An app as the server's parts take it, made once per app (the schema is cached by it). */
export interface ResolvedApp {
  readonly schema: SchemaDefinition;
  readonly roles: RoleOrder;
  readonly migrations: readonly AppMigration[];
  readonly demoUsers: readonly DemoUser[];
  readonly context: (services: AppServices) => unknown;
  readonly sandboxDocument?: string;
}

const resolved = new WeakMap<AuthApp, ResolvedApp>();

export const STANDALONE: AuthApp = {};

/** Throws an Error saying what is wrong with the app's definition (roles, migrations). */
export function resolveApp(app: AuthApp = STANDALONE): ResolvedApp {
  let found = resolved.get(app);
  if (!found) {
    const roles = app.roles ? new RoleOrder(app.roles) : RoleOrder.DEFAULT;
    const unknown = (app.demoUsers ?? []).find((user) => !roles.isRole(user.role));
    if (unknown) throw new Error(`Demo user "${unknown.username}" has an unknown role.`);
    found = {
      schema: { resolvers: app.resolvers ?? [], roles },
      roles,
      migrations: app.migrations ?? [],
      demoUsers: app.demoUsers ?? [],
      context: app.context ?? (() => ({})),
      sandboxDocument: app.sandboxDocument,
    };
    resolved.set(app, found);
  }
  return found;
}
