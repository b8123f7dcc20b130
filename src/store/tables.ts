/** The tables, typed for drizzle. Their DDL is in migrations/; a test keeps the two in step. */
import {
  bigint,
  bigserial,
  boolean,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  username: text('username').notNull(),
  /** auth/usernames.ts computes it; the unique index and every lookup use it. */
  canonicalUsername: text('canonical_username').notNull(),
  passwordHash: text('password_hash').notNull(),
  role: text('role').notNull(),
  isActive: boolean('is_active').notNull().default(true),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  /** As the user typed it; null when the account has none. */
  email: text('email'),
  /** auth/emails.ts computes it; the unique index and every lookup use it. */
  canonicalEmail: text('canonical_email'),
  emailVerified: boolean('email_verified').notNull().default(false),
});

export const sessions = pgTable('sessions', {
  id: uuid('id').primaryKey(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  createdAt: timestamptz('created_at').notNull(),
  /** Moves forward with each refresh: the expiry of the newest refresh token. */
  expiresAt: timestamptz('expires_at').notNull(),
  revokedAt: timestamptz('revoked_at'),
  /** The last login or refresh; null for sessions older than migration 7 (read created_at). */
  lastUsedAt: timestamptz('last_used_at'),
  /** The client of the last login or refresh. */
  clientAddress: text('client_address'),
  userAgent: text('user_agent'),
  /** 'aal1' after a password, 'aal2' after a second factor too (migration 8). */
  assuranceLevel: text('assurance_level').notNull().default('aal1'),
});

export const refreshTokens = pgTable('refresh_tokens', {
  /** SHA-256 of the token: the token itself is never stored. */
  tokenHash: text('token_hash').primaryKey(),
  sessionId: uuid('session_id')
    .notNull()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  createdAt: timestamptz('created_at').notNull(),
  expiresAt: timestamptz('expires_at').notNull(),
  retiredAt: timestamptz('retired_at'),
});

/**
 * The audit log: one row per auth event, or per limit key and window for refused attempts. No
 * foreign keys: events outlive what they mention.
 */
export const authEvents = pgTable('auth_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: timestamptz('at').notNull(),
  type: text('type').notNull(),
  userId: uuid('user_id'),
  sessionId: uuid('session_id'),
  clientAddress: text('client_address'),
  userAgent: text('user_agent'),
  /** The canonical username a login named (auth/usernames.ts). */
  username: text('username'),
  /** How many events the row stands for: more than 1 only for an aggregated row. */
  count: integer('count').notNull().default(1),
  /** Rows with the same key are one row, whose count grows (unique; null for the others). */
  aggregateKey: text('aggregate_key'),
});

/** Invites, email verification and password reset codes (migration 7). */
export const oneTimeCodes = pgTable('one_time_codes', {
  /** SHA-256 of the code: the code itself is never stored. */
  codeHash: text('code_hash').primaryKey(),
  purpose: text('purpose').notNull(),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
  /** VERIFY_EMAIL: the canonical address the code was mailed to. */
  email: text('email'),
  /** INVITE: the role of the account it creates. */
  role: text('role'),
  /** INVITE: the admin who made it. */
  createdBy: uuid('created_by'),
  createdAt: timestamptz('created_at').notNull(),
  expiresAt: timestamptz('expires_at').notNull(),
  usedAt: timestamptz('used_at'),
});

/** A user's TOTP factor, pending until confirmedAt (migration 8). */
export const totpFactors = pgTable('totp_factors', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** Sealed with AES-256-GCM (auth/secret-box.ts): never the secret itself. */
  secret: text('secret').notNull(),
  createdAt: timestamptz('created_at').notNull(),
  confirmedAt: timestamptz('confirmed_at'),
  /** The last time step accepted; a code's step must be above it. */
  lastStep: bigint('last_step', { mode: 'number' }).notNull().default(0),
});

/** Single-use recovery codes of a TOTP factor (migration 8). */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 of the code: the code itself is never stored. */
    codeHash: text('code_hash').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (table) => [primaryKey({ columns: [table.userId, table.codeHash] })],
);

/** Signing keys made by rotation (migration 9); the configured key is not stored. */
export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  algorithm: text('algorithm').notNull(),
  /** The private key (PKCS#8 DER) or HS256 secret, sealed under the configured key. */
  sealedKey: text('sealed_key').notNull(),
  createdAt: timestamptz('created_at').notNull(),
  /** When it starts to sign: instances learn of it first, so every one verifies it by then. */
  activatesAt: timestamptz('activates_at').notNull(),
});

/** Counts kept current by triggers (migration 3): 'users' and 'unrevoked_sessions'. */
export const rowCounts = pgTable('row_counts', {
  name: text('name').primaryKey(),
  value: bigint('value', { mode: 'number' }).notNull(),
});
