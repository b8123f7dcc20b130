/**
 * The composition root below HTTP: database, stores, keys and the auth use cases, wired once.
 * Nothing here knows GraphQL.
 */
import type { Config } from './config';
import { Accounts } from './auth/accounts';
import { CLOCK_TOLERANCE_SECONDS } from './auth/access-tokens';
import type { AuthDeps } from './auth/deps';
import { loadSigningKeys, type SigningKeys } from './auth/keys';
import { PasswordHasher } from './auth/passwords';
import { seedUsers } from './auth/seed';
import { Sessions } from './auth/sessions';
import { openDatabase, type DatabaseHandle } from './store/database';
import { migrate } from './store/migrations';
import { MemoryRevocationList, type RevocationList } from './store/revocations';
import { SqlSessionStore } from './store/sql-session-store';
import { SqlUserStore } from './store/sql-user-store';

export interface Services {
  readonly deps: AuthDeps;
  readonly sessions: Sessions;
  readonly accounts: Accounts;
  readonly keys: SigningKeys;
  readonly database: DatabaseHandle;
  /** Lines for the start banner (seeded users). */
  readonly notes: readonly string[];
  /** Deletes ended sessions and expired tokens in bounded batches. */
  prune(): Promise<number>;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** A migrated PGlite dump to start memory:// from (tests: ~0.6 s instead of ~3 s). */
  readonly pgliteTemplate?: Blob;
  readonly now?: () => number;
}

const PRUNE_BATCH = 1000;

export async function openServices(
  config: Config,
  options: ServiceOptions = {},
): Promise<Services> {
  const now = options.now ?? Date.now;
  const database = await openDatabase(config.database, { template: options.pgliteTemplate });
  try {
    await migrate(database.db);
    const keys = loadSigningKeys({
      ...config.jwt,
      secretDir: config.database.kind === 'memory' ? undefined : config.dataDir,
    });
    const users = new SqlUserStore(database.db);
    const sessionStore = new SqlSessionStore(database.db);
    const revocations = await loadRevocations(sessionStore, config, now);
    const deps: AuthDeps = {
      users,
      sessions: sessionStore,
      revocations,
      hasher: new PasswordHasher(config.bcryptCost),
      accessTokens: {
        keys,
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
        ttlSeconds: config.accessTokenTtlSeconds,
      },
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      refreshReuseIntervalSeconds: config.refreshReuseIntervalSeconds,
      now,
    };
    const sessions = new Sessions(deps);
    const accounts = new Accounts(deps, sessions);
    const notes = await seedUsers(accounts, users, {
      production: config.env === 'production',
      bootstrapAdmin: config.bootstrapAdmin,
    });
    return {
      deps,
      sessions,
      accounts,
      keys,
      database,
      notes,
      prune: async () => {
        // Kept past expiry for as long as reuse detection and the revocation list need them.
        const horizon = now() - (config.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) * 1000;
        return sessionStore.prune(new Date(horizon), PRUNE_BATCH);
      },
      close: async () => {
        await revocations.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}

/** Sessions ended within one access-token lifetime still have live access tokens: list them. */
async function loadRevocations(
  sessions: SqlSessionStore,
  config: Config,
  now: () => number,
): Promise<RevocationList> {
  const list = new MemoryRevocationList();
  const lifetimeMs = (config.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) * 1000;
  for (const { id, revokedAt } of await sessions.revokedSince(new Date(now() - lifetimeMs))) {
    await list.add([id], Math.ceil((revokedAt.getTime() + lifetimeMs) / 1000));
  }
  return list;
}
