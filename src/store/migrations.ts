/**
 * Versioned schema migrations, the same SQL for PGlite and PostgreSQL.
 *
 * Each migration is a list of single statements (PGlite's extended protocol takes one at a
 * time). They run in one transaction under an advisory lock, so two instances starting on an
 * empty database at once apply each migration exactly once. Never edit a released migration:
 * add the next one.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from './database';

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, sessions, refresh tokens',
    statements: [
      `CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('USER', 'ADMIN')),
        is_active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE UNIQUE INDEX users_username_key ON users (lower(username))`,
      `CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      )`,
      `CREATE INDEX sessions_user_id_idx ON sessions (user_id)`,
      `CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL`,
      `CREATE TABLE refresh_tokens (
        token_hash text PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        retired_at timestamptz
      )`,
      `CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id)`,
    ],
  },
  {
    version: 2,
    name: 'audit log of auth events',
    statements: [
      `CREATE TABLE auth_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        type text NOT NULL,
        user_id uuid,
        session_id uuid,
        client_address text,
        user_agent text
      )`,
      `CREATE INDEX auth_events_at_idx ON auth_events (at)`,
      `CREATE INDEX auth_events_user_at_idx ON auth_events (user_id, at)`,
    ],
  },
  {
    version: 3,
    name: 'canonical usernames',
    // Every existing name was made of the ASCII alphabet (createUser refused anything else),
    // whose canonical form is its ASCII lowercase: translate(), unlike lower(), ignores the
    // database's locale. The old index on lower(username) gave way to the application's form.
    statements: [
      `ALTER TABLE users ADD COLUMN canonical_username text`,
      `UPDATE users SET canonical_username =
        translate(username, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`,
      `ALTER TABLE users ALTER COLUMN canonical_username SET NOT NULL`,
      `DROP INDEX users_username_key`,
      `CREATE UNIQUE INDEX users_canonical_username_key ON users (canonical_username)`,
    ],
  },
  {
    version: 4,
    name: 'audit log: usernames, and one row per flood',
    statements: [
      `ALTER TABLE auth_events ADD COLUMN username text`,
      `ALTER TABLE auth_events ADD COLUMN count integer NOT NULL DEFAULT 1`,
      `ALTER TABLE auth_events ADD COLUMN aggregate_key text`,
      // NULLs are distinct in a unique index: only aggregated rows ever conflict.
      `CREATE UNIQUE INDEX auth_events_aggregate_key ON auth_events (aggregate_key)`,
    ],
  },
  {
    version: 5,
    name: 'counts kept by triggers; keyset order and prefix search of users',
    statements: [
      // adminDashboard must not count 200k users or 1M sessions per call. Statement-level
      // triggers (one counter update per INSERT or DELETE statement, however many rows) and a
      // row trigger on revocation only keep the counts; a refresh, which moves expires_at, does
      // not touch them. Creating a trigger locks its table against writes until this
      // migration commits, so the counts taken after it miss no concurrent insert.
      `CREATE TABLE row_counts (
        name text PRIMARY KEY,
        value bigint NOT NULL
      )`,
      `CREATE FUNCTION count_users_added() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE row_counts SET value = value + (SELECT count(*) FROM added) WHERE name = 'users';
        RETURN NULL;
      END $$`,
      `CREATE FUNCTION count_users_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE row_counts SET value = value - (SELECT count(*) FROM removed) WHERE name = 'users';
        RETURN NULL;
      END $$`,
      `CREATE TRIGGER users_count_insert AFTER INSERT ON users
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_users_added()`,
      `CREATE TRIGGER users_count_delete AFTER DELETE ON users
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_users_removed()`,
      `CREATE FUNCTION count_sessions_added() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE row_counts SET value = value + (SELECT count(*) FROM added WHERE revoked_at IS NULL)
        WHERE name = 'unrevoked_sessions';
        RETURN NULL;
      END $$`,
      `CREATE FUNCTION count_sessions_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE row_counts SET value = value - (SELECT count(*) FROM removed WHERE revoked_at IS NULL)
        WHERE name = 'unrevoked_sessions';
        RETURN NULL;
      END $$`,
      `CREATE FUNCTION count_sessions_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE row_counts SET value = value + CASE WHEN NEW.revoked_at IS NULL THEN 1 ELSE -1 END
        WHERE name = 'unrevoked_sessions';
        RETURN NULL;
      END $$`,
      `CREATE TRIGGER sessions_count_insert AFTER INSERT ON sessions
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_sessions_added()`,
      `CREATE TRIGGER sessions_count_delete AFTER DELETE ON sessions
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
        EXECUTE FUNCTION count_sessions_removed()`,
      `CREATE TRIGGER sessions_count_revoke AFTER UPDATE OF revoked_at ON sessions FOR EACH ROW
        WHEN ((OLD.revoked_at IS NULL) IS DISTINCT FROM (NEW.revoked_at IS NULL))
        EXECUTE FUNCTION count_sessions_revoked()`,
      `INSERT INTO row_counts (name, value) VALUES
        ('users', (SELECT count(*) FROM users)),
        ('unrevoked_sessions', (SELECT count(*) FROM sessions WHERE revoked_at IS NULL))`,
      // The unrevoked sessions past their expiry, which the pruner has not deleted yet: few,
      // and found through this index (the dashboard subtracts them).
      `CREATE INDEX sessions_unrevoked_expires_idx ON sessions (expires_at)
        WHERE revoked_at IS NULL`,
      // `users`: keyset pages in (created_at, id) order, and a username prefix search.
      `CREATE INDEX users_created_id_idx ON users (created_at, id)`,
      `CREATE INDEX users_username_prefix_idx ON users (canonical_username text_pattern_ops)`,
    ],
  },
  {
    version: 6,
    name: "roles are the app's",
    statements: [
      // Which names are roles is the app's code (src/auth/roles.ts), not the table's: the
      // column keeps only the shape of a role name.
      `ALTER TABLE users DROP CONSTRAINT users_role_check`,
      `ALTER TABLE users ADD CONSTRAINT users_role_name CHECK (role ~ '^[A-Z][A-Z0-9_]{0,31}$')`,
    ],
  },
  {
    version: 7,
    name: 'accounts: email addresses, where sessions are used, one-time codes',
    statements: [
      // An address is optional; two accounts never share one in its canonical form (NULLs are
      // distinct in a unique index). It is verified only by a code mailed to it.
      `ALTER TABLE users ADD COLUMN email text`,
      `ALTER TABLE users ADD COLUMN canonical_email text`,
      `ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false`,
      `CREATE UNIQUE INDEX users_canonical_email_key ON users (canonical_email)`,
      // Written at login and at each refresh, for mySessions. Existing rows read their
      // created_at instead (no UPDATE of every session here).
      `ALTER TABLE sessions ADD COLUMN last_used_at timestamptz`,
      `ALTER TABLE sessions ADD COLUMN client_address text`,
      `ALTER TABLE sessions ADD COLUMN user_agent text`,
      `CREATE INDEX sessions_user_live_idx ON sessions (user_id, created_at)
        WHERE revoked_at IS NULL`,
      // Invites, email verification and password reset codes: only their SHA-256 is stored,
      // each is used at most once (used_at), and all expire.
      `CREATE TABLE one_time_codes (
        code_hash text PRIMARY KEY,
        purpose text NOT NULL CHECK (purpose IN ('INVITE', 'VERIFY_EMAIL', 'RESET_PASSWORD')),
        user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        email text,
        role text,
        created_by uuid,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`,
      `CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id, purpose)
        WHERE user_id IS NOT NULL`,
      `CREATE INDEX one_time_codes_expires_idx ON one_time_codes (expires_at)`,
    ],
  },
  {
    version: 8,
    name: 'second factor: TOTP, recovery codes, the assurance level of sessions',
    statements: [
      // What a session has proven (docs/API.md, "Second factor"): aal1 a password, aal2 a
      // second factor too. A constant default adds the column without rewriting the table;
      // every existing session was a password login.
      `ALTER TABLE sessions ADD COLUMN assurance_level text NOT NULL DEFAULT 'aal1'
        CHECK (assurance_level IN ('aal1', 'aal2'))`,
      // One TOTP factor per user, pending until confirmed_at. The secret is sealed with
      // AES-256-GCM (auth/secret-box.ts), never stored in the clear. last_step is the last
      // time step accepted: a code is refused unless its step is above it (no replay).
      `CREATE TABLE totp_factors (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        secret text NOT NULL,
        created_at timestamptz NOT NULL,
        confirmed_at timestamptz,
        last_step bigint NOT NULL DEFAULT 0
      )`,
      // Single-use recovery codes, only their SHA-256 (they are random, 80 bits).
      `CREATE TABLE recovery_codes (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (user_id, code_hash)
      )`,
    ],
  },
  {
    version: 9,
    name: 'signing keys that rotate',
    statements: [
      // Keys made by `admin rotate-key`, sealed under the configured key (auth/secret-box.ts).
      // A key signs from activates_at until the next one activates, then only verifies.
      `CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        algorithm text NOT NULL,
        sealed_key text NOT NULL,
        created_at timestamptz NOT NULL,
        activates_at timestamptz NOT NULL
      )`,
    ],
  },
];

/**
 * An app's own migration (src/index.ts): applied after ours, in the order of `version`, in the
 * same transaction and under the same lock, recorded in app_migrations.
 */
export interface AppMigration {
  readonly version: number;
  readonly name: string;
  /** Single SQL statements, the same for PGlite and PostgreSQL. */
  readonly statements: readonly string[];
}

/** An arbitrary constant that names our migration lock among the database's advisory locks. */
const MIGRATION_LOCK_ID = 7_215_001;

/**
 * Applies those of `migrations` (all, but for tests of one step) not applied yet, then the
 * app's. Returns the versions it applied of each.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  appMigrations: readonly AppMigration[] = [],
): Promise<{ ours: number[]; app: number[] }> {
  checkAppMigrations(appMigrations);
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    const apply = async (table: string, list: readonly Migration[]) => {
      await tx.execute(
        sql.raw(`CREATE TABLE IF NOT EXISTS ${table} (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`),
      );
      const applied = await rowsOf<{ version: number }>(
        tx,
        sql.raw(`SELECT version FROM ${table}`),
      );
      const done = new Set(applied.map((row) => Number(row.version)));
      const ran: number[] = [];
      for (const migration of list) {
        if (done.has(migration.version)) continue;
        for (const statement of migration.statements) await tx.execute(sql.raw(statement));
        await tx.execute(
          sql`INSERT INTO ${sql.identifier(table)} (version, name)
              VALUES (${migration.version}, ${migration.name})`,
        );
        ran.push(migration.version);
      }
      return ran;
    };
    const ours = await apply('schema_migrations', migrations);
    const app = appMigrations.length > 0 ? await apply('app_migrations', appMigrations) : [];
    return { ours, app };
  });
}

/** Versions must be positive whole numbers, each once, in increasing order. */
function checkAppMigrations(migrations: readonly AppMigration[]): void {
  let previous = 0;
  for (const migration of migrations) {
    if (!Number.isSafeInteger(migration.version) || migration.version <= previous) {
      throw new Error(
        `App migration "${migration.name}": versions must be whole numbers above 0, increasing (got ${migration.version} after ${previous}).`,
      );
    }
    previous = migration.version;
  }
}
