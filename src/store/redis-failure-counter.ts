/**
 * Failure counters shared by every instance through Redis: one hash per key, updated by one Lua
 * script so that opening a window, counting and setting its expiry are atomic. The window is
 * decided by the caller's clock (`nowMs`), like the in-process counter; Redis' own expiry only
 * collects finished windows.
 *
 * While Redis is away the counts fall back to this process's memory: logins keep working,
 * limited per instance instead of per cluster, and the shared counts resume when Redis returns.
 */
import type { RedisConnections } from './redis';
import { MemoryFailureCounter, type FailureCount, type FailureCounter } from './failure-counter';

const HIT = `
local now = tonumber(ARGV[1])
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends') or '0')
if ends <= now then
  ends = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'count', 0, 'ends', ends)
end
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('PEXPIRE', KEYS[1], ends - now)
return {count, ends}
`;

export class RedisFailureCounter implements FailureCounter {
  private readonly local = new MemoryFailureCounter();

  constructor(
    private readonly redis: RedisConnections,
    private readonly onError: (what: string, error: unknown) => void,
  ) {}

  async hit(key: string, windowSeconds: number, nowMs: number): Promise<FailureCount> {
    try {
      const [count, ends] = (await this.redis.commands.eval(
        HIT,
        1,
        this.key(key),
        String(nowMs),
        String(windowSeconds * 1000),
      )) as [number, number];
      return describe(count, ends, nowMs);
    } catch (error) {
      this.onError('counting a failure in Redis failed; counting in this process', error);
      return this.local.hit(key, windowSeconds, nowMs);
    }
  }

  async peek(key: string, nowMs: number): Promise<FailureCount> {
    try {
      const [count, ends] = await this.redis.commands.hmget(this.key(key), 'count', 'ends');
      if (count === null || ends === null || Number(ends) <= nowMs)
        return this.local.peek(key, nowMs);
      const shared = describe(Number(count), Number(ends), nowMs);
      const local = await this.local.peek(key, nowMs);
      return local.count > shared.count ? local : shared;
    } catch (error) {
      this.onError('reading a failure count from Redis failed; using this process', error);
      return this.local.peek(key, nowMs);
    }
  }

  async reset(key: string): Promise<void> {
    await this.local.reset(key);
    try {
      await this.redis.commands.del(this.key(key));
    } catch (error) {
      this.onError('resetting a failure count in Redis failed', error);
    }
  }

  async close(): Promise<void> {
    await this.local.close();
  }

  private key(key: string): string {
    return `${this.redis.prefix}failures:${key}`;
  }
}

function describe(count: number, endsMs: number, nowMs: number): FailureCount {
  return { count, retryAfterSeconds: Math.max(1, Math.ceil((endsMs - nowMs) / 1000)) };
}
