/**
 * Authorization headers whose access token this process has already verified, with their
 * principals, until the token expires.
 *
 * Parsing and verification (signature + claims) give the same answer for the same header until
 * the token's `exp`: the keys are fixed for the life of the process and `nbf` only moves into
 * the past. So a repeated header skips both (~25 µs); the revocation check still runs on every
 * request, after this lookup. Keyed by the whole header, so a hit needs no parsing at all.
 * Bounded: the oldest entries go first.
 */
import { CLOCK_TOLERANCE_SECONDS, type Principal } from './access-tokens';

export class VerifiedTokens {
  private readonly byHeader = new Map<string, Principal>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The principal of a header verified before, its token not expired at `nowSeconds`. */
  get(header: string, nowSeconds: number): Principal | undefined {
    const principal = this.byHeader.get(header);
    if (principal === undefined) return undefined;
    if (principal.expiresAt <= nowSeconds - CLOCK_TOLERANCE_SECONDS) {
      this.byHeader.delete(header); // verify again: it answers TOKEN_EXPIRED
      return undefined;
    }
    return principal;
  }

  set(header: string, principal: Principal): void {
    if (this.byHeader.size >= this.maxEntries) {
      this.byHeader.delete(this.byHeader.keys().next().value!);
    }
    this.byHeader.set(header, principal);
  }
}
