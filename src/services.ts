/**
 * The composition root below HTTP: database, stores, keys and the auth use cases, wired once.
 * Nothing here knows GraphQL.
 */
import type { Config } from './config';
import { Accounts } from './auth/accounts';
import { AccountMail } from './auth/account-mail';
import { BackgroundJobs } from './auth/background';
import { NO_MAILER, type Mailer } from './auth/mail';
import { SignUp } from './auth/sign-up';
import { LogMailer } from './mail/log-mailer';
import { SmtpMailer } from './mail/smtp-mailer';
import { SecondFactors } from './auth/mfa';
import { SecretBox } from './auth/secret-box';
import { SqlOneTimeCodeStore } from './store/sql-one-time-code-store';
import { SqlSecondFactorStore } from './store/sql-second-factor-store';
import { AuditLog, type AuthEventType } from './auth/audit';
import { SqlAuditStore } from './store/audit-store';
import { accessTokenLifetimeSeconds } from './auth/access-tokens';
import type { AuthDeps } from './auth/deps';
import { KeyRing } from './auth/key-ring';
import { loadSigningKeys } from './auth/keys';
import { SqlSigningKeyStore } from './store/signing-key-store';
import { PasswordHasher } from './auth/passwords';
import { RoleOrder } from './auth/roles';
import { seedUsers, type DemoUser } from './auth/seed';
import { Sessions } from './auth/sessions';
import { VerifiedTokens } from './auth/verified-tokens';
import { MemoryFailureCounter } from './store/failure-counter';
import { RedisFailureCounter } from './store/redis-failure-counter';
import { openDatabase, type DatabaseHandle } from './store/database';
import { lockDataDir } from './store/data-dir-lock';
import { migrate, MIGRATIONS, type AppMigration } from './store/migrations';
import { openRedis, type RedisConnections } from './store/redis';
import { RedisRevocationList } from './store/redis-revocations';
import {
  MemoryRevocationList,
  PollingRevocationList,
  type RevocationList,
} from './store/revocations';
import { MemoryEventBus, RedisEventBus } from './store/event-bus';
import { SqlSessionStore } from './store/sql-session-store';
import { SqlUserStore } from './store/sql-user-store';
import { CachedUserStore } from './store/cached-user-store';

export interface Services {
  readonly deps: AuthDeps;
  readonly sessions: Sessions;
  readonly accounts: Accounts;
  readonly signUp: SignUp;
  readonly accountMail: AccountMail;
  readonly secondFactors: SecondFactors;
  readonly keys: KeyRing;
  /**
   * Adds a new signing key that starts to sign in `activateInSeconds` (admin rotate-key), and
   * tells every instance at once (Redis) or within KEY_POLL_SECONDS (polling).
   */
  rotateKey(activateInSeconds: number): Promise<{ kid: string; activatesAt: Date }>;
  readonly database: DatabaseHandle;
  /** Lines for the start banner (seeded users). */
  readonly notes: readonly string[];
  /**
   * What /readyz checks, by the stable name it reports: each resolves when that part answers
   * (Redis only when configured; revocations when the revocation list is current).
   */
  readonly readiness: Readonly<Partial<Record<ReadinessCheck, () => Promise<void>>>>;
  /** Deletes ended sessions, expired tokens and old audit events, in bounded batches. */
  prune(): Promise<number>;
  close(): Promise<void>;
}

export type ReadinessCheck = 'database' | 'redis' | 'revocations';

export interface ServiceOptions {
  /** Create the bootstrap admin or demo users (default true; the admin CLI says false). */
  readonly seed?: boolean;
  /** Told about store faults that are survived (Redis reconnects, failed publishes). */
  readonly onStoreError?: (what: string, error: unknown) => void;
  /** Where mail goes when it goes to the log (outside production without SMTP_URL). */
  readonly onLogMail?: (mail: { to: string; subject: string; link: string }) => void;
  /** Tests: a Mailer instead of the one config.mail says. */
  readonly mailer?: Mailer;
  /** Told about every auth event and every ended session (metrics). */
  readonly observe?: {
    authEvent(type: AuthEventType): void;
    sessionsRevoked(count: number): void;
  };
  /** The app's roles, lowest first (src/index.ts); USER < ADMIN when not given. */
  readonly roles?: RoleOrder;
  /** The app's own migrations, applied after ours (store/migrations.ts). */
  readonly migrations?: readonly AppMigration[];
  /** More demo users, created with ours on an empty database outside production. */
  readonly demoUsers?: readonly DemoUser[];
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
  const onStoreError = options.onStoreError ?? (() => undefined);
  // The embedded database and the generated secret in DATA_DIR belong to one process.
  const lock = config.database.kind === 'embedded' ? await lockDataDir(config.dataDir) : undefined;
  let database: DatabaseHandle;
  try {
    database = await openDatabase(config.database, {
      template: options.pgliteTemplate,
      poolSize: config.databasePoolSize,
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  try {
    await migrate(database.db, MIGRATIONS, options.migrations);
    const rootKeys = loadSigningKeys({
      ...config.jwt,
      secretDir: config.database.kind === 'memory' ? undefined : config.dataDir,
    });
    const keys = new KeyRing(
      rootKeys,
      accessTokenLifetimeSeconds(config.accessTokenTtlSeconds),
      now,
    );
    const keyStore = new SqlSigningKeyStore(database.db);
    keys.load(await keyStore.list());
    const users = new CachedUserStore(new SqlUserStore(database.db), {
      ttlMs: 60_000,
      maxEntries: 10_000,
      now,
    });
    const sessionStore = new SqlSessionStore(database.db);
    const redis = config.redisUrl
      ? await openRedis(config.redisUrl, config.redisKeyPrefix)
      : undefined;
    const keyNotices = watchSigningKeys(keys, keyStore, redis, config, onStoreError);
    const revocations = counted(
      await openRevocations(sessionStore, redis, config, now, onStoreError),
      (count) => options.observe?.sessionsRevoked(count),
    );
    // One process: in memory. (A shared store, e.g. Redis, implements the same port.)
    // With Redis, every instance counts into the same windows (docs/ARCHITECTURE.md).
    const failureCounter = redis
      ? new RedisFailureCounter(redis, onStoreError)
      : new MemoryFailureCounter();
    const background = new BackgroundJobs(onStoreError);
    const mailer = options.mailer ?? openMailer(config, options.onLogMail);
    const codes = new SqlOneTimeCodeStore(database.db);
    // Audit events to the subscribers of every instance (authEventAdded).
    const events = redis ? new RedisEventBus(redis, onStoreError) : new MemoryEventBus();
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
        roles: options.roles ?? RoleOrder.DEFAULT,
      },
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      refreshReuseIntervalSeconds: config.refreshReuseIntervalSeconds,
      verifiedTokens: new VerifiedTokens(),
      audit: new AuditLog(
        new SqlAuditStore(database.db),
        now,
        onStoreError,
        (type) => options.observe?.authEvent(type),
        events,
      ),
      failureCounter,
      loginLimits: {
        perPair: config.loginMaxFailures,
        perUsername: config.loginMaxFailuresPerUsername,
        perAddress: config.loginMaxFailuresPerAddress,
        refreshPerAddress: config.refreshMaxFailuresPerAddress,
        windowSeconds: config.loginFailureWindowSeconds,
      },
      codes,
      mailer,
      background,
      accountOptions: {
        signup: config.signup,
        signupPerAddress: config.signupMaxPerAddress,
        mailPerAccount: config.mail.maxPerAccount,
        mailPerAddress: config.mail.maxPerAddress,
        windowSeconds: config.loginFailureWindowSeconds,
        emailTokenTtlSeconds: config.emailTokenTtlSeconds,
        resetTokenTtlSeconds: config.resetTokenTtlSeconds,
        publicUrl: config.mail.publicUrl,
        mailEnabled: options.mailer !== undefined || config.mail.transport !== 'off',
      },
      now,
    };
    const sessions = new Sessions(deps);
    const accounts = new Accounts(deps, sessions);
    const accountMail = new AccountMail(deps, accounts, sessions);
    const signUp = new SignUp(deps, accounts, sessions, accountMail);
    const secondFactors = new SecondFactors(deps, sessions, {
      store: new SqlSecondFactorStore(database.db),
      // Under the configured key, not the ring's current one: rotated keys come and go, the
      // configured key must stay anyway (docs/SECURITY.md), and it seals the rotated keys too.
      box: SecretBox.fromSigningKeys(keys.root, 'totp-secret'),
      issuer: config.jwt.issuer,
    });
    const notes =
      options.seed === false
        ? []
        : await seedUsers(accounts, users, {
            production: config.env === 'production',
            bootstrapAdmin: config.bootstrapAdmin,
            demoUsers: options.demoUsers,
          });
    return {
      deps,
      sessions,
      accounts,
      signUp,
      accountMail,
      secondFactors,
      keys,
      database,
      notes,
      rotateKey: async (activateInSeconds) => {
        const key = keys.newKey(new Date(now() + activateInSeconds * 1000));
        await keyStore.add(key);
        keys.load(await keyStore.list());
        await keyNotices.publish();
        return { kid: key.kid, activatesAt: key.activatesAt };
      },
      prune: async () => {
        // Kept past expiry for as long as reuse detection and the revocation list need them.
        const horizon = now() - accessTokenLifetimeSeconds(config.accessTokenTtlSeconds) * 1000;
        const sessions = await sessionStore.prune(new Date(horizon), PRUNE_BATCH);
        const events = await deps.audit.prune(config.auditRetentionSeconds, PRUNE_BATCH);
        const used = await codes.prune(new Date(now()), PRUNE_BATCH);
        const retired = keys.retired();
        await keyStore.delete(retired);
        return sessions + events + used + retired.length;
      },
      readiness: {
        database: () => database.ping(),
        ...(redis ? { redis: () => redis.ping() } : {}),
        revocations: async () => {
          if (!revocations.isReady()) throw new Error('the revocation list is not current');
        },
      },
      close: async () => {
        keyNotices.close();
        await background.drain();
        await mailer.close();
        await deps.hasher.close();
        await failureCounter.close();
        await revocations.close();
        await events.close();
        await redis?.close();
        await database.close();
        lock?.release();
      },
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
}

/** How often an instance on PostgreSQL reads the signing keys again, notice or not. */
export const KEY_POLL_SECONDS = 10;

/**
 * Keeps the ring current with the database: a Redis notice from the instance that rotated
 * (milliseconds), and polling as well on PostgreSQL, for a notice missed while disconnected.
 * The embedded database has one process, which rotates its own keys.
 */
function watchSigningKeys(
  keys: KeyRing,
  store: SqlSigningKeyStore,
  redis: RedisConnections | undefined,
  config: Config,
  onError: (what: string, error: unknown) => void,
): { publish(): Promise<void>; close(): void } {
  const reload = () =>
    store
      .list()
      .then((stored) => keys.load(stored))
      .catch((error: unknown) => onError('reading the signing keys failed', error));
  const channel = redis ? `${redis.prefix}signing-keys` : undefined;
  if (redis && channel) {
    redis.subscriber.on('message', (from: string) => void (from === channel && reload()));
    // Subscribed again on every reconnection, which also reads what was missed meanwhile.
    redis.subscriber.on(
      'ready',
      () => void redis.subscriber.subscribe(channel).then(reload, reload),
    );
    if (redis.subscriber.status === 'ready') {
      redis.subscriber
        .subscribe(channel)
        .catch((error: unknown) => onError('subscribing to signing-key notices failed', error));
    }
  }
  const timer =
    config.database.kind === 'postgres'
      ? setInterval(() => void reload(), KEY_POLL_SECONDS * 1000).unref()
      : undefined;
  return {
    publish: async () => {
      if (redis && channel) await redis.commands.publish(channel, 'rotated').catch(() => undefined);
    },
    close: () => clearInterval(timer),
  };
}

/** SMTP_URL's server, the log outside production without it, or nothing. */
function openMailer(
  config: Config,
  onLogMail: ServiceOptions['onLogMail'] = () => undefined,
): Mailer {
  const { transport, from } = config.mail;
  if (transport === 'off') return NO_MAILER;
  if (transport === 'log') return new LogMailer(onLogMail);
  return new SmtpMailer(transport.url, from);
}

/**
 * One process on the embedded database needs only memory; several instances learn each other's
 * revocations from Redis (milliseconds) or, without Redis, by polling PostgreSQL (a second).
 * Each starts from the sessions ended within one access-token lifetime.
 */
async function openRevocations(
  sessions: SqlSessionStore,
  redis: RedisConnections | undefined,
  config: Config,
  now: () => number,
  onError: (what: string, error: unknown) => void,
): Promise<RevocationList> {
  const lifetimeMs = accessTokenLifetimeSeconds(config.accessTokenTtlSeconds) * 1000;
  const recent = async (sinceMs: number) =>
    (await sessions.revokedSince(new Date(sinceMs))).map(({ id, revokedAt }) => ({
      id,
      untilSeconds: Math.ceil((revokedAt.getTime() + lifetimeMs) / 1000),
    }));
  if (redis) return RedisRevocationList.start(redis, recent, { lifetimeMs, now, onError });
  if (config.database.kind === 'postgres') {
    return PollingRevocationList.start(recent, {
      lifetimeMs,
      now,
      intervalMs: 1000,
      staleAfterMs: 5000,
    });
  }
  const list = new MemoryRevocationList();
  for (const { id, untilSeconds } of await recent(now() - lifetimeMs))
    list.remember([id], untilSeconds);
  return list;
}

/** The same list, telling `onAdded` how many sessions each `add` ends. */
function counted(list: RevocationList, onAdded: (count: number) => void): RevocationList {
  return {
    isRevoked: (sessionId, nowSeconds) => list.isRevoked(sessionId, nowSeconds),
    add: async (sessionIds, untilSeconds, reason) => {
      onAdded(sessionIds.length);
      await list.add(sessionIds, untilSeconds, reason);
    },
    onRevoked: (listener) => list.onRevoked(listener),
    isReady: () => list.isReady(),
    close: () => list.close(),
  };
}
