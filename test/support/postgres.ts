/**
 * A fresh PostgreSQL database and Redis key prefix per test server, from TEST_DATABASE_URL and
 * TEST_REDIS_URL, dropped and deleted again when the server closes.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { openRedis, type RedisConnections } from '../../src/store/redis';

export interface TestBackend {
  /** Environment for loadConfig: DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX. */
  readonly env: Record<string, string>;
  drop(): Promise<void>;
}

export function postgresBackendEnabled(): boolean {
  return process.env.TEST_BACKEND === 'postgres';
}

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = requireEnv('TEST_DATABASE_URL');
  const name = `auth_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

export async function createTestBackend(): Promise<TestBackend> {
  const database = await createTestDatabase();
  const redisUrl = requireEnv('TEST_REDIS_URL');
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  return {
    env: { DATABASE_URL: database.url, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix },
    drop: async () => {
      await database.drop();
      await deleteRedisKeys(redisUrl, prefix);
    },
  };
}

/** Redis connections under a fresh key prefix, for a store tested without a server. */
export async function openTestRedis(): Promise<{
  readonly redis: RedisConnections;
  drop(): Promise<void>;
}> {
  const redisUrl = requireEnv('TEST_REDIS_URL');
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const redis = await openRedis(redisUrl, prefix);
  return {
    redis,
    drop: async () => {
      await redis.close();
      await deleteRedisKeys(redisUrl, prefix);
    },
  };
}

export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function withClient<T>(url: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
