/**
 * Revocations shared through Redis: every instance keeps an in-process mirror, so the check on
 * the hot path costs no network round trip (docs/ARCHITECTURE.md, "Revocation").
 *
 *   add:      SET <prefix>revoked:<sid> EXAT <until>, then PUBLISH on <prefix>revocations
 *             (one MULTI); every instance's subscriber adds it to its mirror within milliseconds.
 *   resync:   on every (re)connection of the subscriber, after it is subscribed: all revoked:*
 *             keys, plus the database's recent revocations (a revocation whose publish failed
 *             while Redis was away is still in the database).
 *   fail closed: while the subscriber is not connected and resynced, `isRevoked` throws.
 * A database backstop every BACKSTOP_MS bounds staleness even if a message were lost.
 */
import type { RedisConnections } from './redis';
import {
  MemoryRevocationList,
  type MirrorOptions,
  type RecentRevocations,
  type RevocationList,
  type RevocationListener,
} from './revocations';
import { StoreUnavailable } from './unavailable';

const BACKSTOP_MS = 10_000;

export class RedisRevocationList implements RevocationList {
  private readonly mirror = new MemoryRevocationList();
  private synced = false;
  private readonly channel: string;
  private readonly backstop: NodeJS.Timeout;

  private constructor(
    private readonly redis: RedisConnections,
    private readonly recent: RecentRevocations,
    private readonly options: MirrorOptions & { onError: (what: string, error: unknown) => void },
  ) {
    this.channel = `${redis.prefix}revocations`;
    this.backstop = setInterval(() => void this.catchUpFromDatabase(BACKSTOP_MS * 2), BACKSTOP_MS);
    this.backstop.unref();
  }

  static async start(
    redis: RedisConnections,
    recent: RecentRevocations,
    options: MirrorOptions & { onError: (what: string, error: unknown) => void },
  ): Promise<RedisRevocationList> {
    const list = new RedisRevocationList(redis, recent, options);
    const { subscriber } = redis;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === list.channel) list.onMessage(message);
    });
    subscriber.on('close', () => void (list.synced = false));
    subscriber.on('ready', () => void list.resync());
    await list.resync();
    return list;
  }

  isRevoked(sessionId: string, nowSeconds: number): boolean {
    if (!this.isReady()) throw new StoreUnavailable('redis');
    return this.mirror.isRevoked(sessionId, nowSeconds);
  }

  async add(sessionIds: readonly string[], untilSeconds: number, reason?: string): Promise<void> {
    this.mirror.remember(sessionIds, untilSeconds, reason);
    const multi = this.redis.commands.multi();
    for (const id of sessionIds)
      multi.set(this.key(id), String(untilSeconds), 'EXAT', untilSeconds);
    multi.publish(this.channel, JSON.stringify({ ids: sessionIds, until: untilSeconds, reason }));
    try {
      await multi.exec();
    } catch (error) {
      // The database already holds the revocation; other instances read it when they resync.
      this.options.onError('publishing a revocation failed', error);
    }
  }

  /** Every instance's revocations, with their reason, as its subscriber receives them. */
  onRevoked(listener: RevocationListener): () => void {
    return this.mirror.onRevoked(listener);
  }

  isReady(): boolean {
    return this.synced && this.redis.subscriber.status === 'ready';
  }

  async close(): Promise<void> {
    clearInterval(this.backstop);
  }

  private onMessage(message: string): void {
    try {
      const parsed: unknown = JSON.parse(message);
      const { ids, until, reason } = parsed as { ids: unknown; until: unknown; reason: unknown };
      if (Array.isArray(ids) && typeof until === 'number') {
        this.mirror.remember(
          ids.filter((id): id is string => typeof id === 'string'),
          until,
          typeof reason === 'string' ? reason : undefined,
        );
      }
    } catch (error) {
      this.options.onError('a malformed revocation message', error);
    }
  }

  private async resync(): Promise<void> {
    this.synced = false;
    try {
      await this.redis.subscriber.subscribe(this.channel);
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.commands.scan(
          cursor,
          'MATCH',
          this.key('*'),
          'COUNT',
          1000,
        );
        cursor = next;
        if (keys.length === 0) continue;
        const values = await this.redis.commands.mget(...keys);
        keys.forEach((key, i) => {
          const until = Number(values[i]);
          if (Number.isFinite(until)) this.mirror.remember([key.slice(this.key('').length)], until);
        });
      } while (cursor !== '0');
      await this.catchUpFromDatabase(this.options.lifetimeMs);
      this.synced = true;
    } catch (error) {
      this.options.onError('revocation resync failed; retrying on reconnect', error);
      if (this.redis.subscriber.status === 'ready')
        setTimeout(() => void this.resync(), 1000).unref();
    }
  }

  /** Best effort: with the database away, Redis alone still knows every published revocation. */
  private async catchUpFromDatabase(windowMs: number): Promise<void> {
    try {
      for (const { id, untilSeconds } of await this.recent(this.options.now() - windowMs)) {
        this.mirror.remember([id], untilSeconds);
      }
    } catch (error) {
      this.options.onError('reading recent revocations from the database failed', error);
    }
  }

  private key(sessionId: string): string {
    return `${this.redis.prefix}revoked:${sessionId}`;
  }
}
