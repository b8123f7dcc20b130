/** What every resolver receives: the caller (verified lazily), the auth use cases, the client. */
import type { Accounts } from '../auth/accounts';
import type { AuditLog } from '../auth/audit';
import type { Caller } from '../auth/authenticate';
import type { Sessions } from '../auth/sessions';

export interface Context {
  readonly auth: Caller;
  readonly sessions: Sessions;
  readonly accounts: Accounts;
  readonly audit: AuditLog;
  /** Told about every refused guarded field (metrics); optional for tests. */
  readonly onGuardDenied?: (field: string, reason: string) => void;
  /** Who is asking, as the transport tells (server.ts): for rate limits and logs. */
  readonly client: RequestClient;
}

export interface RequestClient {
  /** The socket's address, or X-Forwarded-For as far as TRUST_PROXY allows. */
  readonly address: string;
  readonly userAgent: string | undefined;
  /** The x-request-id of this request (the caller's when sane, else generated). */
  readonly requestId: string;
}
