/**
 * Access tokens this process has already verified, with their principals, until the token
 * expires.
 *
 * Parsing and verification (signature + claims) give the same answer for the same token until
 * its `exp`: the keys are fixed for the life of the process and `nbf` only moves into the past.
 * So a repeated token skips both (~25 µs); the revocation check still runs on every request,
 * after this lookup.
 *
 * Keyed by the token, never by the header around it: `Bearer` followed by any number of spaces
 * is the same token, and must not be a new entry. Only verified tokens are kept, and the whole
 * cache is bounded in bytes (oldest first out), so no caller can make it hold more.
 */
import { CLOCK_TOLERANCE_SECONDS, type Principal } from './access-tokens';

/** What an entry costs besides its token's characters: the principal, the map's slot. */
const ENTRY_OVERHEAD_BYTES = 256;

export class VerifiedTokens {
  private readonly byToken = new Map<string, Principal>();
  private bytes = 0;

  constructor(private readonly maxBytes = 8 * 1024 * 1024) {}

  /** The principal of a token verified before, not expired at `nowSeconds`. */
  get(token: string, nowSeconds: number): Principal | undefined {
    const principal = this.byToken.get(token);
    if (principal === undefined) return undefined;
    if (principal.expiresAt <= nowSeconds - CLOCK_TOLERANCE_SECONDS) {
      this.delete(token); // verify again: it answers TOKEN_EXPIRED
      return undefined;
    }
    return principal;
  }

  set(token: string, principal: Principal): void {
    if (this.byToken.has(token)) return;
    const size = sizeOf(token);
    while (this.bytes + size > this.maxBytes && this.byToken.size > 0) {
      this.delete(this.byToken.keys().next().value!);
    }
    this.byToken.set(token, principal);
    this.bytes += size;
  }

  /** Bytes held, by the same estimate the bound uses. */
  get size(): number {
    return this.bytes;
  }

  private delete(token: string): void {
    if (this.byToken.delete(token)) this.bytes -= sizeOf(token);
  }
}

const sizeOf = (token: string) => token.length + ENTRY_OVERHEAD_BYTES;
