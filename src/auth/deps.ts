/**
 * What the auth use cases are built from, as parameters: openServices (src/services.ts) builds
 * the real ones for the server and the admin CLI, and tests build their own.
 */
import type { FailureCounter } from '../store/failure-counter';
import type { RevocationList } from '../store/revocations';
import type { SessionStore, UserStore } from '../store/ports';
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
  /** Milliseconds since the epoch; a parameter so tests can move time. */
  readonly now: () => number;
}
