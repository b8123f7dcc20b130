/** What every resolver receives: the caller (verified lazily), the auth use cases, the client. */
import type { Accounts } from '../auth/accounts';
import type { AuditLog } from '../auth/audit';
import type { Caller } from '../auth/authenticate';
import type { ClientInfo } from '../auth/client';
import type { Sessions } from '../auth/sessions';
import type { SignUp } from '../auth/sign-up';
import type { AccountMail } from '../auth/account-mail';
import type { SecondFactors } from '../auth/mfa';

export interface Context {
  readonly auth: Caller;
  /** What the app built at start (src/app.ts, `context`); `{}` for the standalone server. */
  readonly app?: unknown;
  readonly sessions: Sessions;
  readonly accounts: Accounts;
  readonly signUp: SignUp;
  readonly accountMail: AccountMail;
  /** TOTP enrolment and the second factor of a session (auth/mfa.ts). */
  readonly secondFactors: SecondFactors;
  readonly audit: AuditLog;
  /** Told about every refused guarded field (metrics); optional for tests. */
  readonly onGuardDenied?: (field: string, reason: string) => void;
  /** Who is asking, as the transport tells (src/http/context.ts): for rate limits and logs. */
  readonly client: ClientInfo;
  /**
   * The refresh-token cookie of this request and response; present only in cookie mode
   * (AUTH_COOKIE=true). The resolvers decide between cookie and response body.
   */
  readonly refreshCookie?: RefreshCookie;
  /** The websocket this subscription runs on (src/http/subscriptions.ts); absent over HTTP. */
  readonly connection?: SubscriptionConnection;
}

/** What a subscription can ask of its websocket connection. */
export interface SubscriptionConnection {
  /**
   * Calls `listener` once when the connection's session ends, on any instance, or its access
   * token expires unrefreshed; the socket closes right after. Returns the function that stops it.
   */
  onSessionEnded(listener: (ended: { sessionId: string; reason: string }) => void): () => void;
}

/** One request's refresh-token cookie: read from its Cookie header, written as Set-Cookie. */
export interface RefreshCookie {
  /** The refresh token the browser sent, if any. */
  read(): string | undefined;
  /** Sets the cookie on the response, for `maxAgeSeconds`. */
  set(refreshToken: string, maxAgeSeconds: number): void;
  /** Deletes the cookie in the browser (Max-Age=0). */
  clear(): void;
  /**
   * Whether the request carried `apollo-require-preflight` or `x-apollo-operation-name`:
   * headers a cross-site form cannot send, so a mutation using the cookie requires one (CSRF).
   */
  readonly preflighted: boolean;
}
