/**
 * Brute-force limits (docs/API.md, "Errors": RATE_LIMITED; docs/SECURITY.md, "Brute force"), in
 * the shape Auth0 documents: a strict limit per account *and* address, a larger one per address
 * across accounts, and one per account across addresses. In fixed windows of
 * LOGIN_FAILURE_WINDOW, failed logins are counted per
 *
 * - (username, address) pair, LOGIN_MAX_FAILURES: the guessing defence. A success resets it.
 * - address, LOGIN_MAX_FAILURES_PER_ADDRESS: stops spraying one password over many accounts, and
 *   is large enough for an office behind one NAT to survive its typos.
 * - username, LOGIN_MAX_FAILURES_PER_USERNAME: slows guessing from many addresses. One address
 *   can put at most LOGIN_MAX_FAILURES into it, so locking an account out everywhere takes
 *   LOGIN_MAX_FAILURES_PER_USERNAME / LOGIN_MAX_FAILURES addresses, not one.
 *
 * and failed refreshes per address (REFRESH_MAX_FAILURES_PER_ADDRESS), and wrong second-factor
 * codes (mfa.ts) per account (LOGIN_MAX_FAILURES) and per address (LOGIN_MAX_FAILURES_PER_ADDRESS):
 * six digits are few, so an account gets as few guesses at them as at its password. Once a key
 * has its maximum in its window, the next attempt is refused with RateLimited before any password
 * or code is checked. Usernames are keyed by their canonical form (usernames.ts).
 *
 * Attempts still running count as failures on the keys of one account (pair, username): a burst
 * of concurrent guesses cannot all pass the check before the first has failed. They do not count
 * on an address's failures, so concurrent logins of different users behind one address never
 * refuse each other; an address may only have as many attempts in flight as its limit. That
 * part is per process; the stored counts are shared by every instance when the FailureCounter
 * is (Redis), and fall back to this process when it is away.
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { FailureCounter } from '../store/failure-counter';
import type { ClientInfo } from './client';
import { RateLimited, Unauthenticated } from './errors';
import { canonicalUsername } from './usernames';

/** What the limits know of a client: its address, nothing else. */
type Address = Pick<ClientInfo, 'address'>;

/** The limits, per LOGIN_FAILURE_WINDOW (config.ts has the defaults and their reasons). */
export interface LoginLimits {
  /** LOGIN_MAX_FAILURES: failed logins per (username, address) pair. */
  readonly perPair: number;
  /** LOGIN_MAX_FAILURES_PER_USERNAME: failed logins per username, from every address. */
  readonly perUsername: number;
  /** LOGIN_MAX_FAILURES_PER_ADDRESS: failed logins per address, for every username. */
  readonly perAddress: number;
  /** REFRESH_MAX_FAILURES_PER_ADDRESS: refreshes with an unknown token per address. */
  readonly refreshPerAddress: number;
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

export function loginAddressKey(client: Address): string {
  return `login:address:${addressKey(client.address)}`;
}

export function loginPairKey(username: string, client: Address): string {
  return `login:pair:${addressKey(client.address)}:${loginUserKey(username)}`;
}

export function refreshAddressKey(client: Address): string {
  return `refresh:address:${addressKey(client.address)}`;
}

export function secondFactorUserKey(userId: string): string {
  return `mfa:user:${userId}`;
}

export function secondFactorAddressKey(client: Address): string {
  return `mfa:address:${addressKey(client.address)}`;
}

interface Rule {
  readonly key: string;
  readonly max: number;
  /**
   * What attempts in flight mean: 'failures', they count as failures (one account's keys);
   * 'bounded', at most `max` may run at once, apart from the failures (an address, shared by
   * many accounts); 'free', nothing (refresh tokens cannot be guessed, so a burst of them is
   * load, not a brute-force attempt).
   */
  readonly inFlight: 'failures' | 'bounded' | 'free';
}

export class RateLimits {
  /** Attempts in flight in this process, per key. */
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly counter: FailureCounter,
    private readonly limits: LoginLimits,
    private readonly now: () => number,
  ) {}

  /**
   * Runs `attempt` (the password check) unless a limit of the pair, the username or the address
   * is reached. An Unauthenticated error from it counts for all three; success resets the pair.
   */
  login<T>(username: string, client: Address, attempt: () => Promise<T>): Promise<T> {
    const pair = loginPairKey(username, client);
    const rules: Rule[] = [
      { key: pair, max: this.limits.perPair, inFlight: 'failures' },
      { key: loginAddressKey(client), max: this.limits.perAddress, inFlight: 'bounded' },
    ];
    // A name that is no one's has no account to protect: the pair and address suffice.
    if (canonicalUsername(username) !== undefined) {
      rules.push({
        key: loginUserKey(username),
        max: this.limits.perUsername,
        inFlight: 'failures',
      });
    }
    return this.guard(
      rules,
      attempt,
      (error) => error instanceof Unauthenticated,
      () => this.counter.reset(pair),
    );
  }

  /**
   * Runs `attempt` unless the address has too many failed refreshes. Only an unknown or
   * malformed token counts (TOKEN_INVALID): that is what guessing looks like. An expired or
   * ended token was ours, and a shared address has many clients whose tokens went stale.
   */
  refresh<T>(client: Address, attempt: () => Promise<T>): Promise<T> {
    const rule: Rule = {
      key: refreshAddressKey(client),
      max: this.limits.refreshPerAddress,
      inFlight: 'free',
    };
    return this.guard(
      [rule],
      attempt,
      (error) => error instanceof Unauthenticated && error.reason === 'TOKEN_INVALID',
      async () => undefined,
    );
  }

  /**
   * Runs `attempt` (a check of a second-factor code, and of the password with it) unless the
   * account or the address has too many failures. An INVALID_CREDENTIALS error from it counts
   * on both; a success resets the account's count. Attempts in flight count as the login's do.
   */
  secondFactor<T>(userId: string, client: Address, attempt: () => Promise<T>): Promise<T> {
    const user = secondFactorUserKey(userId);
    return this.guard(
      [
        { key: user, max: this.limits.perPair, inFlight: 'failures' },
        { key: secondFactorAddressKey(client), max: this.limits.perAddress, inFlight: 'bounded' },
      ],
      attempt,
      (error) => error instanceof Unauthenticated && error.reason === 'INVALID_CREDENTIALS',
      () => this.counter.reset(user),
    );
  }

  private async guard<T>(
    rules: readonly Rule[],
    attempt: () => Promise<T>,
    isFailure: (error: unknown) => boolean,
    onSuccess: () => Promise<void>,
  ): Promise<T> {
    // Taken synchronously, before any await: each attempt sees those that started before it.
    const ahead = rules.map(({ key }) => this.pending.get(key) ?? 0);
    for (const { key } of rules) this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    try {
      const nowMs = this.now();
      const counts = await Promise.all(rules.map(({ key }) => this.counter.peek(key, nowMs)));
      let retryAfter = 0;
      let refusedBy: string | undefined;
      rules.forEach((rule, i) => {
        const { count, retryAfterSeconds } = counts[i]!;
        const inFlight = ahead[i]!;
        const reached =
          count + (rule.inFlight === 'failures' ? inFlight : 0) >= rule.max ||
          (rule.inFlight === 'bounded' && inFlight >= rule.max);
        if (!reached) return;
        retryAfter = Math.max(retryAfter, retryAfterSeconds, 1);
        refusedBy ??= rule.key;
      });
      if (retryAfter > 0) throw new RateLimited(retryAfter, refusedBy);

      let result: T;
      try {
        result = await attempt();
      } catch (error) {
        if (isFailure(error)) {
          const at = this.now();
          await Promise.all(
            rules.map(({ key }) => this.counter.hit(key, this.limits.windowSeconds, at)),
          );
        }
        throw error;
      }
      await onSuccess();
      return result;
    } finally {
      for (const { key } of rules) {
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

/**
 * Counts one attempt on `key` and throws RateLimited past `max` in the window: for actions
 * limited by how often they are asked for, not by how often they fail (sign-up, mail).
 */
export async function countAttempt(
  counter: FailureCounter,
  key: string,
  max: number,
  windowSeconds: number,
  nowMs: number,
): Promise<void> {
  const { count, retryAfterSeconds } = await counter.hit(key, windowSeconds, nowMs);
  if (count > max) throw new RateLimited(Math.max(retryAfterSeconds, 1), key);
}
