/** What the auth use cases are built from; server.ts wires the real ones, tests their own. */
import type { RevocationList } from '../store/revocations';
import type { SessionStore, UserStore } from '../store/ports';
import type { AccessTokenOptions } from './access-tokens';
import type { PasswordHasher } from './passwords';

export interface AuthDeps {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly revocations: RevocationList;
  readonly hasher: PasswordHasher;
  readonly accessTokens: AccessTokenOptions;
  readonly refreshTokenTtlSeconds: number;
  readonly refreshReuseIntervalSeconds: number;
  /** Milliseconds since the epoch; a parameter so tests can move time. */
  readonly now: () => number;
}
