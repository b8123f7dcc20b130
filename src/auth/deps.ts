/**
 * What the auth use cases are built from, as parameters: openServices (src/services.ts) builds
 * the real ones for the server and the admin CLI, and tests build their own.
 */
import type { FailureCounter } from '../store/failure-counter';
import type { RevocationList } from '../store/revocations';
import type { OneTimeCodeStore, SessionStore, UserStore } from '../store/ports';
import type { Mailer } from './mail';
import type { AccessTokenOptions } from './access-tokens';
import type { AuditLog } from './audit';
import type { PasswordHasher } from './passwords';
import type { VerifiedTokens } from './verified-tokens';
import type { LoginLimits } from './rate-limits';

export interface AuthDeps {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly revocations: RevocationList;
  readonly hasher: PasswordHasher;
  readonly accessTokens: AccessTokenOptions;
  readonly refreshTokenTtlSeconds: number;
  readonly refreshReuseIntervalSeconds: number;
  /** Failed logins and refreshes per pair, username and address (rate-limits.ts). */
  readonly failureCounter: FailureCounter;
  /** The LOGIN_MAX_FAILURES… limits within LOGIN_FAILURE_WINDOW. */
  readonly loginLimits: LoginLimits;
  /** Where every auth event is recorded (audit.ts). */
  readonly audit: AuditLog;
  /** Tokens already verified by this process (verified-tokens.ts); optional for tests. */
  readonly verifiedTokens?: VerifiedTokens;
  /** Invites, email verification and reset codes (one-time-codes.ts). */
  readonly codes: OneTimeCodeStore;
  readonly mailer: Mailer;
  readonly accountOptions: AccountOptions;
  /** Work that runs after the answer (background.ts): mail whose timing must not tell. */
  readonly background: Background;
  /** Milliseconds since the epoch; a parameter so tests can move time. */
  readonly now: () => number;
}

/** Sign-up and mail (docs/API.md, "Accounts"); config.ts has the variables. */
export interface AccountOptions {
  /** SIGNUP: nobody but admins create accounts, holders of an invite, or anyone. */
  readonly signup: 'closed' | 'invite' | 'open';
  /** SIGNUP_MAX_PER_ADDRESS: signUp calls per client address and window. */
  readonly signupPerAddress: number;
  /** MAIL_MAX_PER_ACCOUNT / MAIL_MAX_PER_ADDRESS: mail requests per account / address and window. */
  readonly mailPerAccount: number;
  readonly mailPerAddress: number;
  /** LOGIN_FAILURE_WINDOW, the window of every limit. */
  readonly windowSeconds: number;
  readonly emailTokenTtlSeconds: number;
  readonly resetTokenTtlSeconds: number;
  /** PUBLIC_URL: where links in mail point (no trailing slash). */
  readonly publicUrl: string;
  /** False when no mail can be sent (production without SMTP_URL). */
  readonly mailEnabled: boolean;
}

export interface Background {
  /** Runs `job` after the caller has its answer; a failure is reported, never thrown. */
  run(what: string, job: () => Promise<void>): void;
}
