/**
 * Access tokens this process has already verified, with their principals, until they expire.
 *
 * Verification (signature + claims) gives the same answer for the same token string until its
 * `exp`: the keys are fixed for the life of the process and `nbf` only moves into the past. So
 * a repeated token skips the signature check (~25 µs); the revocation check still runs on every
 * request, after this lookup. Bounded: the oldest entries go first.
 */
import { CLOCK_TOLERANCE_SECONDS, type Principal } from './access-tokens';

export class VerifiedTokens {
  private readonly byToken = new Map<string, Principal>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The principal of a token verified before and not expired at `nowSeconds`. */
  get(token: string, nowSeconds: number): Principal | undefined {
    const principal = this.byToken.get(token);
    if (principal === undefined) return undefined;
    if (principal.expiresAt <= nowSeconds - CLOCK_TOLERANCE_SECONDS) {
      this.byToken.delete(token); // verify again: it answers TOKEN_EXPIRED
      return undefined;
    }
    return principal;
  }

  set(token: string, principal: Principal): void {
    if (this.byToken.size >= this.maxEntries) {
      this.byToken.delete(this.byToken.keys().next().value!);
    }
    this.byToken.set(token, principal);
  }
}
