/**
 * What the auth core needs from storage, and nothing more (Lucia's Adapter). Every
 * implementation passes the same contract suite in test/contracts/.
 */

declare const canonical: unique symbol;
/** A username in its canonical form: only src/auth/usernames.ts makes these. */
export type CanonicalUsername = string & { readonly [canonical]: true };

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  /** A role's name; which names are roles is the auth layer's RoleOrder. */
  readonly role: string;
  readonly isActive: boolean;
  readonly createdAt: Date;
  /** As the user typed it; null when the account has none. */
  readonly email: string | null;
  /** Whether a code mailed to `email` came back (verifyEmail). */
  readonly emailVerified: boolean;
}

export interface NewUser {
  /** As the user typed it, for display. */
  readonly username: string;
  readonly canonicalUsername: CanonicalUsername;
  readonly passwordHash: string;
  /** A role's name; which names are roles is the auth layer's RoleOrder. */
  readonly role: string;
  /** Both or neither: the address as typed, and its canonical form (auth/emails.ts). */
  readonly email?: string;
  readonly canonicalEmail?: string;
}

export class DuplicateUsername extends Error {
  constructor(readonly username: string) {
    super(`username "${username}" is taken`);
    this.name = 'DuplicateUsername';
  }
}

export class DuplicateEmail extends Error {
  constructor() {
    super('the email address is taken');
    this.name = 'DuplicateEmail';
  }
}

/** Deactivating this user would leave no active ADMIN (nobody could administer the server). */
export class LastActiveAdmin extends Error {
  constructor(readonly userId: string) {
    super(`user ${userId} is the last active ADMIN`);
    this.name = 'LastActiveAdmin';
  }
}

/** One page of `list`: in (createdAt, id) order, after the user `after` (its id). */
export interface UserPageQuery {
  readonly first: number;
  readonly after?: string;
  /** Usernames starting with this, ignoring case. */
  readonly search?: string;
  readonly role?: string;
  readonly active?: boolean;
}

/** `after` names no user: the page it continues cannot be found. */
export class UnknownCursor extends Error {
  constructor(readonly after: string) {
    super(`no user has the id "${after}"`);
    this.name = 'UnknownCursor';
  }
}

export interface UserStore {
  /** Canonical usernames are unique; an account is found by its canonical username only. */
  findByCanonicalUsername(canonical: CanonicalUsername): Promise<UserRecord | undefined>;
  /** May be answered from a cache (cached-user-store.ts): never use its passwordHash. */
  findById(id: string): Promise<UserRecord | undefined>;
  /** Always read from the database: the role a new access token carries (refresh). */
  findCurrent(id: string): Promise<UserRecord | undefined>;
  /** Always read from the database: the hash to check a password against. */
  passwordHashOf(id: string): Promise<string | undefined>;
  /** Throws DuplicateUsername when another account has the same canonical username. */
  create(user: NewUser): Promise<UserRecord>;
  /**
   * Throws LastActiveAdmin instead of deactivating the only active ADMIN. Race-safe: of
   * concurrent deactivations of the last two active admins, one succeeds.
   */
  setActive(id: string, active: boolean): Promise<UserRecord | undefined>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  /**
   * Throws LastActiveAdmin instead of taking ADMIN from the only active ADMIN, race-safe with
   * setActive: the same locks.
   */
  setRole(id: string, role: string): Promise<UserRecord | undefined>;
  /** Marks the address verified if it is still the account's (canonical form). */
  markEmailVerified(id: string, canonicalEmail: string): Promise<UserRecord | undefined>;
  findByCanonicalEmail(canonicalEmail: string): Promise<UserRecord | undefined>;
  /** Throws UnknownCursor. */
  list(page: UserPageQuery): Promise<UserRecord[]>;
  /** Kept by a trigger (migrations.ts, version 5): no scan of the table. */
  count(): Promise<number>;
}

export interface NewRefreshToken {
  readonly hash: string;
  readonly expiresAt: Date;
}

/**
 * What a session has proven (NIST SP 800-63B's authenticator assurance levels): 'aal1' a
 * password, 'aal2' a second factor as well.
 */
export type AssuranceLevel = 'aal1' | 'aal2';

export type RotationResult =
  /** The token was current: it is retired and `next` is the session's new token. */
  | {
      readonly outcome: 'rotated';
      readonly sessionId: string;
      readonly userId: string;
      readonly level: AssuranceLevel;
    }
  /** Retired less than the reuse interval ago: `next` was added to the same session. */
  | {
      readonly outcome: 'reissued';
      readonly sessionId: string;
      readonly userId: string;
      readonly level: AssuranceLevel;
    }
  /** Retired longer ago: reuse detected, and the session is now revoked. */
  | { readonly outcome: 'reused'; readonly sessionId: string; readonly userId: string }
  | { readonly outcome: 'unknown' | 'expired' | 'session-ended' };

/** Where a session was last used from: what mySessions shows. */
export interface SessionClient {
  readonly address?: string;
  readonly userAgent?: string;
}

export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
}

export interface SessionStore {
  create(
    session: { id: string; userId: string; createdAt: Date; client?: SessionClient },
    first: NewRefreshToken,
  ): Promise<void>;
  /**
   * Atomically retires the token with hash `tokenHash` and adds `next` to its session. Of
   * concurrent calls with one current token exactly one sees 'rotated'.
   */
  rotate(
    tokenHash: string,
    next: NewRefreshToken,
    now: Date,
    reuseIntervalSeconds: number,
    client?: SessionClient,
  ): Promise<RotationResult>;
  /**
   * Raises the live session `sessionId` of `userId` to aal2, retires its current refresh
   * tokens and adds `next`, in one statement. False when there is no such live session.
   */
  raiseLevel(
    sessionId: string,
    userId: string,
    next: NewRefreshToken,
    now: Date,
    client?: SessionClient,
  ): Promise<boolean>;
  /**
   * The live session a refresh token (current or retired, not expired) belongs to, and when
   * the token was retired (null while it is current).
   */
  findLiveByRefreshToken(
    tokenHash: string,
    now: Date,
  ): Promise<{ sessionId: string; userId: string; retiredAt: Date | null } | undefined>;
  /** Whether the session exists, is not revoked and has not expired. */
  isLive(sessionId: string, now: Date): Promise<boolean>;
  /** The live session with this id; undefined when there is none (or the id is no UUID). */
  findLive(sessionId: string, now: Date): Promise<SessionRecord | undefined>;
  /** The user's live sessions, the most recently used first, at most `limit`. */
  listLive(userId: string, now: Date, limit: number): Promise<SessionRecord[]>;
  /** Revokes the given sessions of `userId` that are still live; returns the ids it revoked. */
  revoke(sessionIds: readonly string[], now: Date): Promise<string[]>;
  /** Revokes every live session of `userId` except `keep`; returns the ids it revoked. */
  revokeUserSessions(userId: string, now: Date, keep?: string): Promise<string[]>;
  /** Unrevoked sessions kept by a trigger, less the expired ones not yet pruned. */
  countLive(now: Date): Promise<number>;
  /** Sessions revoked after `since`: what an in-process revocation list must know at start. */
  revokedSince(since: Date): Promise<{ id: string; revokedAt: Date }[]>;
  /** Deletes up to `limit` sessions ended before `before` (with their tokens) and up to `limit` expired tokens. */
  prune(before: Date, limit: number): Promise<number>;
}

export type OneTimeCodePurpose = 'INVITE' | 'VERIFY_EMAIL' | 'RESET_PASSWORD';

export interface OneTimeCode {
  /** SHA-256 of the code (auth/one-time-codes.ts): the code itself is never stored. */
  readonly hash: string;
  readonly purpose: OneTimeCodePurpose;
  /** VERIFY_EMAIL and RESET_PASSWORD: whose code it is. */
  readonly userId?: string;
  /** VERIFY_EMAIL: the canonical address it was mailed to. */
  readonly email?: string;
  /** INVITE: the role of the account it creates, and the admin who made it. */
  readonly role?: string;
  readonly createdBy?: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface OneTimeCodeStore {
  add(code: OneTimeCode): Promise<void>;
  /**
   * Marks the code used and returns it, if it has this purpose, is unused and unexpired. Of
   * concurrent calls with one code, exactly one gets it.
   */
  consume(hash: string, purpose: OneTimeCodePurpose, now: Date): Promise<OneTimeCode | undefined>;
  /** Makes a consumed code usable again (its use failed after it was consumed). */
  release(hash: string): Promise<void>;
  /** Deletes every code of the user with this purpose: an older mail stops working. */
  retire(userId: string, purpose: OneTimeCodePurpose): Promise<void>;
  /**
   * Adds `code` of its user and retires every other unused code of the user with its purpose, as
   * one step: of concurrent calls for one user and purpose, only the last code stays usable.
   */
  replace(code: OneTimeCode & { readonly userId: string }): Promise<void>;
  /** Deletes up to `limit` codes that expired or were used before `before`. */
  prune(before: Date, limit: number): Promise<number>;
}

/** A user's TOTP factor: pending until `confirmedAt`. */
export interface TotpFactor {
  readonly userId: string;
  /** Sealed (auth/secret-box.ts): the store never sees the secret itself. */
  readonly secret: string;
  readonly createdAt: Date;
  readonly confirmedAt: Date | null;
  /** The last time step accepted; a code's step must be above it. */
  readonly lastStep: number;
}

export interface SecondFactorStore {
  /** The user's factor, confirmed or pending. */
  find(userId: string): Promise<TotpFactor | undefined>;
  /**
   * Stores a pending factor, replacing a pending one. False, and nothing changed, when the
   * user has a confirmed factor.
   */
  savePending(userId: string, secret: string, now: Date): Promise<boolean>;
  /**
   * Confirms the pending factor sealed as `secret`, with `step` as its last step, and makes
   * `recoveryCodeHashes` the user's recovery codes (replacing any). False, and nothing
   * changed, when there is no such pending factor or `step` is not above its last step: of
   * concurrent confirmations one succeeds.
   */
  confirm(
    userId: string,
    secret: string,
    step: number,
    recoveryCodeHashes: readonly string[],
    now: Date,
  ): Promise<boolean>;
  /**
   * Records `step` as the confirmed factor's last step if it is above it: one conditional
   * UPDATE, so of concurrent uses of one code exactly one gets true.
   */
  useStep(userId: string, step: number): Promise<boolean>;
  /** Marks the user's unused recovery code with this hash used; false when there is none. */
  useRecoveryCode(userId: string, codeHash: string, now: Date): Promise<boolean>;
  /** Deletes the user's factor and recovery codes; false when there was no factor. */
  remove(userId: string): Promise<boolean>;
  /** Those of `userIds` with a confirmed factor. */
  confirmedAmong(userIds: readonly string[]): Promise<Set<string>>;
}
