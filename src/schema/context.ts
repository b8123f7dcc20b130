/** What every resolver receives: the caller (verified lazily) and the auth use cases. */
import type { Accounts } from '../auth/accounts';
import type { Caller } from '../auth/authenticate';
import type { Sessions } from '../auth/sessions';

export interface Context {
  readonly auth: Caller;
  readonly sessions: Sessions;
  readonly accounts: Accounts;
}
