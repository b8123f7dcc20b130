/**
 * Failed-attempt counters for the rate limits (src/auth/rate-limits.ts): a fixed window per key.
 *
 * The port is small and storage-agnostic, so that one process counts in memory (below) and
 * several instances count together in Redis (redis-failure-counter.ts) under the same policy.
 * Redis being away must not stop logins, so the Redis one counts in this process's memory until
 * it answers again: counters never throw, and the limits hold per instance meanwhile.
 */
export interface FailureCount {
  /** Failures in the current window; 0 when there is none. */
  readonly count: number;
  /** Seconds until the current window ends (at least 1 while count > 0); 0 when there is none. */
  readonly retryAfterSeconds: number;
}

export interface FailureCounter {
  /** Counts one failure. The first failure of a key opens a window of `windowSeconds`. */
  hit(key: string, windowSeconds: number, nowMs: number): Promise<FailureCount>;
  /** The current count, without counting. */
  peek(key: string, nowMs: number): Promise<FailureCount>;
  /** Forgets the key (a successful login resets its (username, address) pair). */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

const NONE: FailureCount = { count: 0, retryAfterSeconds: 0 };

export interface MemoryFailureCounterOptions {
  /**
   * The most keys kept at once. Past it, expired windows are swept and, if that is not enough,
   * the oldest windows are dropped: memory stays bounded even under a flood of usernames.
   */
  readonly maxKeys?: number;
  /** How often (ms) expired windows are swept at the latest. */
  readonly sweepIntervalMs?: number;
}

/** One process: a Map of windows, swept of expired entries as it is used. */
export class MemoryFailureCounter implements FailureCounter {
  /** Map order is insertion order, and a key is re-inserted when its window opens: oldest first. */
  private readonly windows = new Map<string, { count: number; endsAtMs: number }>();
  private readonly maxKeys: number;
  private readonly sweepIntervalMs: number;
  private nextSweepMs = 0;

  constructor(options: MemoryFailureCounterOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  }

  async hit(key: string, windowSeconds: number, nowMs: number): Promise<FailureCount> {
    this.sweep(nowMs);
    let window = this.windows.get(key);
    if (!window || window.endsAtMs <= nowMs) {
      this.windows.delete(key);
      window = { count: 0, endsAtMs: nowMs + windowSeconds * 1000 };
      this.windows.set(key, window);
      this.bound();
    }
    window.count += 1;
    return describe(window, nowMs);
  }

  async peek(key: string, nowMs: number): Promise<FailureCount> {
    const window = this.windows.get(key);
    if (!window || window.endsAtMs <= nowMs) return NONE;
    return describe(window, nowMs);
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async close(): Promise<void> {
    this.windows.clear();
  }

  /** Keys held now (for tests). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(nowMs: number): void {
    if (nowMs < this.nextSweepMs) return;
    this.nextSweepMs = nowMs + this.sweepIntervalMs;
    for (const [key, window] of this.windows) {
      if (window.endsAtMs <= nowMs) this.windows.delete(key);
    }
  }

  /** Windows all last about as long, so the oldest opened is the first to end: drop those. */
  private bound(): void {
    for (const key of this.windows.keys()) {
      if (this.windows.size <= this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}

function describe(window: { count: number; endsAtMs: number }, nowMs: number): FailureCount {
  return {
    count: window.count,
    retryAfterSeconds: Math.max(1, Math.ceil((window.endsAtMs - nowMs) / 1000)),
  };
}
