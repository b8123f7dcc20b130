/**
 * Brute-force limits (docs/API.md, "Errors": RATE_LIMITED; docs/SECURITY.md).
 *
 * Failed logins are counted per username and per client address, failed refreshes per client
 * address, in fixed windows of LOGIN_FAILURE_WINDOW. Once a key has LOGIN_MAX_FAILURES failures
 * in its window, the next attempt is refused with RateLimited before any password is checked.
 * A successful login resets its username's count (not the client's: logging into one's own
 * account must not clear a client that guesses at others).
 *
 * Attempts still running count too: a burst of concurrent guesses cannot all pass the check
 * before the first of them has failed. That part is per process; the stored counts are shared
 * by every instance when the FailureCounter is.
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { FailureCounter } from '../store/failure-counter';
import { RateLimited, Unauthenticated } from './errors';
import { canonicalUsername } from './usernames';

/** Who is asking, as far as the transport can tell (server.ts fills it in). */
export interface ClientInfo {
  /** The client's IP address: the socket's, or X-Forwarded-For as far as TRUST_PROXY allows. */
  readonly address: string;
  /** For the audit log only. */
  readonly userAgent?: string;
}

export interface LoginLimit {
  /** Failures allowed per key and window (LOGIN_MAX_FAILURES). */
  readonly maxFailures: number;
  /** LOGIN_FAILURE_WINDOW, in seconds. */
  readonly windowSeconds: number;
}

/**
 * The canonical username (usernames.ts), so every spelling of an account counts on its key. A
 * name that is no one's is keyed by a hash of what was typed: it can never log in anyway.
 */
export function loginUserKey(username: string): string {
  const canonical = canonicalUsername(username);
  return canonical !== undefined
    ? `login:user:${canonical}`
    : `login:user:#${createHash('sha256').update(username).digest('base64url')}`;
}

export function loginClientKey(client: ClientInfo): string {
  return `login:client:${addressKey(client.address)}`;
}

export function refreshClientKey(client: ClientInfo): string {
  return `refresh:client:${addressKey(client.address)}`;
}

export class RateLimits {
  /** Attempts in flight in this process, per key. */
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly counter: FailureCounter,
    private readonly limit: LoginLimit,
    private readonly now: () => number,
  ) {}

  /**
   * Runs `attempt` (the password check) unless the username or the client is over its limit.
   * An Unauthenticated error from it counts as a failure for both; success resets the username.
   */
  login<T>(username: string, client: ClientInfo, attempt: () => Promise<T>): Promise<T> {
    const userKey = loginUserKey(username);
    return this.guard([userKey, loginClientKey(client)], attempt, () =>
      this.counter.reset(userKey),
    );
  }

  /** Runs `attempt` unless the client is over its limit; an Unauthenticated error counts. */
  refresh<T>(client: ClientInfo, attempt: () => Promise<T>): Promise<T> {
    return this.guard([refreshClientKey(client)], attempt, async () => undefined);
  }

  private async guard<T>(
    keys: readonly string[],
    attempt: () => Promise<T>,
    onSuccess: () => Promise<void>,
  ): Promise<T> {
    // Taken synchronously, before any await: each attempt sees those that started before it.
    const ahead = keys.map((key) => this.pending.get(key) ?? 0);
    for (const key of keys) this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    try {
      const nowMs = this.now();
      const counts = await Promise.all(keys.map((key) => this.counter.peek(key, nowMs)));
      let retryAfter = 0;
      counts.forEach(({ count, retryAfterSeconds }, i) => {
        if (count + ahead[i]! >= this.limit.maxFailures) {
          retryAfter = Math.max(retryAfter, retryAfterSeconds, 1);
        }
      });
      if (retryAfter > 0) throw new RateLimited(retryAfter);

      let result: T;
      try {
        result = await attempt();
      } catch (error) {
        if (error instanceof Unauthenticated) {
          const at = this.now();
          await Promise.all(keys.map((key) => this.counter.hit(key, this.limit.windowSeconds, at)));
        }
        throw error;
      }
      await onSuccess();
      return result;
    } finally {
      for (const key of keys) {
        const left = (this.pending.get(key) ?? 1) - 1;
        if (left === 0) this.pending.delete(key);
        else this.pending.set(key, left);
      }
    }
  }
}

/**
 * The part of an address that identifies one client: an IPv4 address, or the /64 prefix of an
 * IPv6 address (one subscriber usually holds a whole /64, so single addresses are free to vary).
 */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

/** The eight 16-bit groups of an IPv6 address, as lowercase hex without leading zeros. */
function ipv6Groups(address: string): string[] | undefined {
  let text = address.split('%')[0]!;
  const embedded = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (embedded) {
    const [a, b, c, d] = embedded.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, embedded.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups =
    halves.length === 2
      ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail]
      : head;
  if (groups.length !== 8) return undefined;
  return groups.map((group) => parseInt(group, 16).toString(16));
}
