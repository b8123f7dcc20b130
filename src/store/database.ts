/**
 * Opens the database: embedded PGlite (a directory, or memory://) or PostgreSQL through `pg`.
 * Both are driven by drizzle with the same queries and the same migrations.
 */
import type { QueryOptions } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import type { Database as DatabaseConfig } from '../config';
import { PGLITE_CONF } from './pglite-conf';
import { prepareDataDir } from './pglite-data-dir';

export type Database = PgDatabase<PgQueryResultHKT>;

/** The rows of a hand-written statement: node-postgres and PGlite both answer `{ rows }`. */
export async function rowsOf<Row>(db: Database, statement: SQL): Promise<Row[]> {
  const result = (await db.execute(statement)) as unknown as { rows: Row[] };
  return result.rows;
}

/**
 * Plain parameterised SQL ($1, $2, …), for an app's own tables (src/index.ts): the same rows
 * from PGlite and PostgreSQL, timestamps as Date, numbers as JavaScript numbers except int8
 * and numeric (text, as node-postgres gives them).
 */
export interface SqlClient {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (sql: SqlClient) => Promise<T>): Promise<T>;
}

/** Inside a transaction, `transaction` runs its work in the same one. */
function inTransaction(client: SqlClient): SqlClient {
  const same: SqlClient = { query: client.query, transaction: (work) => work(same) };
  return same;
}

export interface DatabaseHandle {
  readonly db: Database;
  readonly sql: SqlClient;
  readonly kind: DatabaseConfig['kind'];
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A PGlite data directory dump (`dumpDataDir`) to start a memory:// database from. */
  readonly template?: Blob;
  readonly poolSize?: number;
}

export async function openDatabase(
  config: DatabaseConfig,
  options: OpenOptions = {},
): Promise<DatabaseHandle> {
  if (config.kind === 'postgres') return openPostgres(config.url, options.poolSize ?? 10);
  return openPglite(config.kind === 'embedded' ? config.dataDir : undefined, options.template);
}

async function openPglite(
  dataDir: string | undefined,
  template: Blob | undefined,
): Promise<DatabaseHandle> {
  // Loaded only when used: a PostgreSQL deployment never pays for the WASM build.
  const { PGlite, types: pgliteTypes } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');

  // drizzle reads dates, intervals and numeric arrays as text (it converts them itself) and
  // says so with type parsers on every query. Given per-query parsers, PGlite copies its whole
  // parser table each time: about half the cost of a point query. So the instance gets those
  // parsers once, and a query whose parsers are exactly these goes without them.
  const drizzleTextTypes = [1082, 1114, 1184, 1186, 1182, 1115, 1185, 1187, 1231];
  const asText = (value: string) => value;
  const parsers = Object.fromEntries(drizzleTextTypes.map((type) => [type, asText]));
  const onlyDrizzleParsers = (options: QueryOptions) =>
    Object.keys(options.parsers ?? {}).every((type) => drizzleTextTypes.includes(Number(type)));
  class Client extends PGlite {
    override query<T>(query: string, params?: unknown[], options?: QueryOptions) {
      const lean = options?.parsers && onlyDrizzleParsers(options);
      return super.query<T>(query, params, lean ? { ...options, parsers: undefined } : options);
    }
    /** A query with its own parsers, kept: for an app's queries (SqlClient). */
    queryAsIs<T>(query: string, params: unknown[], options: QueryOptions) {
      return super.query<T>(query, params, options);
    }
  }

  // memory:// without a template dump (which only tests pass) is a throw-away directory: PGlite
  // keeps a directory's files outside the WASM heap, and it starts from the built template.
  const throwAway =
    dataDir === undefined && template === undefined
      ? mkdtempSync(join(tmpdir(), 'graphql-auth-memory-'))
      : undefined;
  const directory = dataDir ?? throwAway;
  const removeThrowAway = () => {
    if (!throwAway) return;
    process.off('exit', removeThrowAway);
    rmSync(throwAway, { recursive: true, force: true });
  };
  // Also when the process exits without closing it (an uncaught error, a test runner's exit).
  if (throwAway) process.on('exit', removeThrowAway);
  let client: Client;
  try {
    if (directory !== undefined) await prepareDataDir(directory);
    // One options object: PGlite ignores the second argument when the first is not a path.
    client = new Client({
      dataDir: directory,
      parsers,
      postgresqlconf: [...PGLITE_CONF],
      ...(template ? { loadDataDir: template } : {}),
    });
    await client.waitReady;
  } catch (error) {
    removeThrowAway();
    throw error;
  }
  const db = drizzle({ client }) as unknown as Database;
  // Our parsers above read dates as text for drizzle; an app's queries get PGlite's own.
  const appParsers = Object.fromEntries(
    drizzleTextTypes.map((type) => [type, (text: string) => pgliteTypes.parseType(text, type)]),
  );
  const sqlOf = (query: Client['queryAsIs']): SqlClient => ({
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await query<Row>(text, [...params], { parsers: appParsers })).rows,
    transaction: (work) =>
      client.transaction((tx) => work(inTransaction(sqlOf((...args) => tx.query(...args))))),
  });
  return {
    db,
    sql: sqlOf((...args) => client.queryAsIs(...args)),
    kind: dataDir === undefined ? 'memory' : 'embedded',
    ping: async () => {
      await client.query('SELECT 1');
    },
    close: async () => {
      await client.close();
      removeThrowAway();
    },
  };
}

async function openPostgres(url: string, poolSize: number): Promise<DatabaseHandle> {
  const { Pool } = await import('pg');
  type Pool = InstanceType<typeof Pool>;
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const pool = new Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // A dropped idle connection (server restart, pg_terminate_backend) emits here; the pool
  // replaces it on the next checkout, so this must not crash the process.
  pool.on('error', () => undefined);
  const db = drizzle({ client: pool }) as unknown as Database;
  const sqlOf = (queryable: Pick<Pool, 'query'>): SqlClient => ({
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await queryable.query(text, [...params])).rows as Row[],
    transaction: async (work) => {
      const connection = await pool.connect();
      try {
        await connection.query('BEGIN');
        const result = await work(inTransaction(sqlOf(connection)));
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        await connection.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        connection.release();
      }
    },
  });
  return {
    db,
    sql: sqlOf(pool),
    kind: 'postgres',
    ping: async () => {
      await db.execute(sql`SELECT 1`);
    },
    close: () => pool.end(),
  };
}
