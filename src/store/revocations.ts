/**
 * The revocation list: which sessions ended while their access tokens may still be unexpired.
 *
 * `isRevoked` is synchronous on purpose: it sits on every guarded request and must never wait
 * on I/O. Every implementation answers from an in-process mirror; they differ in how the mirror
 * learns what other instances revoked (docs/ARCHITECTURE.md, "Revocation"):
 *   - MemoryRevocationList: one process (the embedded database), nothing to learn;
 *   - PollingRevocationList: PostgreSQL without Redis, asks the database every second;
 *   - RedisRevocationList (redis-revocations.ts): Redis pub/sub, within milliseconds.
 * Entries live only as long as an access token of that session could (`until`).
 */
import { StoreUnavailable } from './unavailable';

/**
 * Told of sessions that ended, on this instance or another, once each per instance; `reason`
 * is the one its ender gave (undefined when the mirror learnt it from a resync or a poll).
 */
export type RevocationListener = (sessionIds: readonly string[], reason?: string) => void;

export interface RevocationList {
  /** Throws StoreUnavailable when the mirror cannot be trusted right now: callers fail closed. */
  isRevoked(sessionId: string, nowSeconds: number): boolean;
  /**
   * Records ended sessions; their access tokens are refused until `untilSeconds`. `reason` goes
   * with them to the listeners of every instance.
   */
  add(sessionIds: readonly string[], untilSeconds: number, reason?: string): Promise<void>;
  /** Calls `listener` with sessions as they end; returns the function that stops it. */
  onRevoked(listener: RevocationListener): () => void;
  /** Whether the mirror is current (for /readyz). */
  isReady(): boolean;
  close(): Promise<void>;
}

/** Where a mirror catches up from: sessions the database knows were revoked after `sinceMs`. */
export type RecentRevocations = (
  sinceMs: number,
) => Promise<{ id: string; untilSeconds: number }[]>;

export interface MirrorOptions {
  /**
   * How long an access token can be accepted (accessTokenLifetimeSeconds in src/auth): how far
   * back a resync looks.
   */
  readonly lifetimeMs: number;
  readonly now: () => number;
}

/** Commits land after the timestamp they write; polls overlap by this much to catch them. */
const POLL_OVERLAP_MS = 5000;

/**
 * One process on the embedded database: no other process can open it (memory:// lives in this
 * one; a data directory is locked, data-dir-lock.ts), so no one else ends its sessions. Also
 * the mirror inside the other two lists.
 */
export class MemoryRevocationList implements RevocationList {
  private readonly revoked = new Map<string, number>();
  private readonly listeners = new Set<RevocationListener>();
  private sweepAt = 0;

  isRevoked(sessionId: string, nowSeconds: number): boolean {
    if (this.revoked.size === 0) return false;
    this.sweep(nowSeconds);
    const until = this.revoked.get(sessionId);
    return until !== undefined && until > nowSeconds;
  }

  async add(sessionIds: readonly string[], untilSeconds: number, reason?: string): Promise<void> {
    this.remember(sessionIds, untilSeconds, reason);
  }

  /**
   * Synchronous `add`, for mirrors fed by a subscription. Listeners hear of the sessions it did
   * not hold yet: an instance hears its own publish again, and a resync repeats what it knew.
   */
  remember(sessionIds: readonly string[], untilSeconds: number, reason?: string): void {
    const added: string[] = [];
    for (const id of sessionIds) {
      const known = this.revoked.get(id);
      if (known === undefined) added.push(id);
      this.revoked.set(id, Math.max(untilSeconds, known ?? 0));
    }
    if (added.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(added, reason);
      } catch {
        // A listener's fault is its own: the others and the caller carry on.
      }
    }
  }

  onRevoked(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {}

  get size(): number {
    return this.revoked.size;
  }

  /** At most once a minute, forget entries whose tokens have all expired. */
  private sweep(nowSeconds: number): void {
    if (nowSeconds < this.sweepAt) return;
    this.sweepAt = nowSeconds + 60;
    for (const [id, until] of this.revoked) if (until <= nowSeconds) this.revoked.delete(id);
  }
}

/**
 * PostgreSQL without Redis: the database is the only shared state, so each instance asks it
 * for recent revocations every `intervalMs`. Propagation takes up to one interval; if the
 * database stops answering for longer than `staleAfterMs`, guarded fields fail closed.
 */
export class PollingRevocationList implements RevocationList {
  private readonly mirror = new MemoryRevocationList();
  private lastSync = 0;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly recent: RecentRevocations,
    private readonly options: MirrorOptions & { intervalMs: number; staleAfterMs: number },
  ) {
    this.timer = setInterval(() => void this.sync().catch(() => undefined), options.intervalMs);
    this.timer.unref();
  }

  static async start(
    recent: RecentRevocations,
    options: MirrorOptions & { intervalMs: number; staleAfterMs: number },
  ): Promise<PollingRevocationList> {
    const list = new PollingRevocationList(recent, options);
    await list.sync();
    return list;
  }

  isRevoked(sessionId: string, nowSeconds: number): boolean {
    if (!this.isReady()) throw new StoreUnavailable('database');
    return this.mirror.isRevoked(sessionId, nowSeconds);
  }

  async add(sessionIds: readonly string[], untilSeconds: number, reason?: string): Promise<void> {
    this.mirror.remember(sessionIds, untilSeconds, reason);
  }

  /** Other instances' revocations reach the listeners at the next poll, without a reason. */
  onRevoked(listener: RevocationListener): () => void {
    return this.mirror.onRevoked(listener);
  }

  isReady(): boolean {
    return this.options.now() - this.lastSync <= this.options.staleAfterMs;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  private async sync(): Promise<void> {
    const startedAt = this.options.now();
    const since =
      this.lastSync === 0 ? startedAt - this.options.lifetimeMs : this.lastSync - POLL_OVERLAP_MS;
    for (const { id, untilSeconds } of await this.recent(since))
      this.mirror.remember([id], untilSeconds);
    this.lastSync = startedAt;
  }
}
