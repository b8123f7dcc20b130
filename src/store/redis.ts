/**
 * Redis connections (ioredis): one for commands, one for the revocation subscription (a
 * connection in subscriber mode can run nothing else). Both reconnect forever with back-off.
 * Commands fail fast while disconnected instead of queueing, so a request never hangs on Redis.
 */
import type { Redis } from 'ioredis';

export interface RedisConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
  /** Prepended to every key and channel, so several deployments (or test files) can share one Redis. */
  readonly prefix: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openRedis(url: string, prefix: string): Promise<RedisConnections> {
  const { Redis } = await import('ioredis');
  const options = {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
  };
  const commands = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
  // Connection errors are reported through status and readiness; unhandled they would crash.
  commands.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  await Promise.all([commands.connect(), subscriber.connect()]);
  return {
    commands,
    subscriber,
    prefix,
    ping: async () => {
      await commands.ping();
    },
    close: async () => {
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
