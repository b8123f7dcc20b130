/**
 * The revocation list: which sessions ended while their access tokens may still be unexpired.
 *
 * `isRevoked` is synchronous on purpose: it sits on every guarded request and must never wait
 * on I/O. Entries live only as long as an access token of that session could (`until`), so the
 * list stays as small as the number of sessions ended in the last ACCESS_TOKEN_TTL.
 */
export interface RevocationList {
  /** Throws when the list cannot be trusted right now (fail closed). */
  isRevoked(sessionId: string, nowSeconds: number): boolean;
  /** Records ended sessions; their access tokens are refused until `untilSeconds`. */
  add(sessionIds: readonly string[], untilSeconds: number): Promise<void>;
  close(): Promise<void>;
}

/** One process: the embedded database, or a single instance on PostgreSQL. */
export class MemoryRevocationList implements RevocationList {
  private readonly revoked = new Map<string, number>();
  private sweepAt = 0;

  isRevoked(sessionId: string, nowSeconds: number): boolean {
    if (this.revoked.size === 0) return false;
    this.sweep(nowSeconds);
    return this.revoked.has(sessionId);
  }

  async add(sessionIds: readonly string[], untilSeconds: number): Promise<void> {
    for (const id of sessionIds) {
      this.revoked.set(id, Math.max(untilSeconds, this.revoked.get(id) ?? 0));
    }
  }

  async close(): Promise<void> {}

  /** At most once a minute, forget entries whose tokens have all expired. */
  private sweep(nowSeconds: number): void {
    if (nowSeconds < this.sweepAt) return;
    this.sweepAt = nowSeconds + 60;
    for (const [id, until] of this.revoked) if (until <= nowSeconds) this.revoked.delete(id);
  }
}
