/**
 * What the server refuses in an app's definition, at start, before it serves anything: the same
 * start-up checks as for its own schema (docs/API.md, "Authorization rules"), and the app's own
 * migrations under the same rules as ours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import {
  Auth,
  HasRole,
  Owner,
  createServer,
  loadConfig,
  type App,
  type AuthApp,
  type AuthContext,
} from '../../src/index';
import { silentLogger } from '../../src/logger';
import { templateBlob } from '../support/harness';
import { createTestBackend, postgresBackendEnabled } from '../support/postgres';

@Resolver()
class Unguarded {
  @Query(() => String)
  open(): string {
    return 'anyone';
  }
}

@Resolver()
class UnknownRole {
  @HasRole('OWNER')
  @Query(() => String)
  owners(): string {
    return 'owners';
  }
}

@Resolver()
class OwnerWithoutGuard {
  @Owner({ of: () => 'someone', orRoles: ['ADMIN'] })
  @Query(() => String)
  thing(@Arg('id', () => ID) id: string): string {
    return id;
  }
}

@Resolver()
class OwnerWithUnknownRole {
  @Auth()
  @Owner({ of: () => 'someone', orRoles: ['OWNER'] })
  @Query(() => String)
  thing(@Arg('id', () => ID) id: string): string {
    return id;
  }
}

@Resolver()
class Counter {
  @Auth()
  @Query(() => String)
  async counted(@Ctx() ctx: AuthContext<{ count: () => Promise<number> }>): Promise<string> {
    return `${await ctx.app.count()}`;
  }
}

/** Embedded by default; with the postgres+redis project, on a fresh PostgreSQL database. */
async function start(app: AuthApp, env: Record<string, string> = {}): Promise<App> {
  const backend =
    postgresBackendEnabled() && env.DATA_DIR === undefined ? await createTestBackend() : undefined;
  const config = loadConfig({
    NODE_ENV: 'test',
    BCRYPT_COST: '4',
    JWT_SECRET: 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
    ...(env.DATA_DIR === undefined ? { DATABASE_URL: 'memory://' } : {}),
    ...backend?.env,
    ...env,
  });
  const server = await createServer(config, {
    app,
    logger: silentLogger,
    pgliteTemplate: config.database.kind === 'memory' ? templateBlob() : undefined,
  }).catch(async (error: unknown) => {
    await backend?.drop();
    throw error;
  });
  return {
    ...server,
    close: async () => {
      await server.close();
      await backend?.drop();
    },
  };
}

describe('an app the server refuses to start', () => {
  it('has a root field without a guard (deny by default)', async () => {
    await expect(start({ resolvers: [Unguarded] })).rejects.toThrow(
      'Deny by default: Query.open has none of @public, @auth, @hasRole. Add one.',
    );
  });

  it('names a role it did not declare', async () => {
    await expect(start({ resolvers: [UnknownRole] })).rejects.toThrow('@hasRole on Query.owners');
    await expect(start({ resolvers: [OwnerWithUnknownRole] })).rejects.toThrow(
      'The owner rule of Query.thing names "OWNER", which is not a Role',
    );
  });

  it('has an ownership rule with no guard', async () => {
    await expect(start({ resolvers: [OwnerWithoutGuard] })).rejects.toThrow(
      'Query.thing has an owner rule but no @auth or @hasRole',
    );
  });

  it('declares roles that break the rules', async () => {
    await expect(start({ roles: ['USER', 'ADMIN', 'EDITOR'] })).rejects.toThrow(
      'must end with ADMIN',
    );
    await expect(
      start({ demoUsers: [{ username: 'carol', password: 'long-password', role: 'EDITOR' }] }),
    ).rejects.toThrow('Demo user "carol" has an unknown role');
  });

  it('has migrations out of order', async () => {
    const statements = ['SELECT 1'];
    await expect(
      start({
        migrations: [
          { version: 2, name: 'b', statements },
          { version: 1, name: 'a', statements },
        ],
      }),
    ).rejects.toThrow('App migration "a": versions must be whole numbers above 0, increasing');
  });

  it('puts a role name into SDL that is not one', () => {
    expect(() => HasRole('ADMIN]) @public(' as 'ADMIN')).toThrow('is not a role name');
  });
});

describe("an app's tables", () => {
  it('are migrated once, after ours, and kept across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'app-migrations-'));
    const app: AuthApp<{ count: () => Promise<number> }> = {
      resolvers: [Counter],
      migrations: [
        {
          version: 1,
          name: 'things',
          statements: [
            'CREATE TABLE things (id serial PRIMARY KEY, owner uuid REFERENCES users (id))',
          ],
        },
      ],
      context: ({ sql }) => ({
        count: async () => {
          const [row] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM things');
          return row!.n;
        },
      }),
    };
    try {
      for (let run = 0; run < 2; run++) {
        const server = await start(app, { DATA_DIR: dataDir });
        try {
          const sql = server.services.database.sql;
          await sql.query('INSERT INTO things (owner) VALUES (NULL)');
          const applied = await sql.query<{ version: number; name: string }>(
            'SELECT version, name FROM app_migrations',
          );
          expect(applied).toEqual([{ version: 1, name: 'things' }]);
          const [count] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM things');
          expect(count!.n).toBe(run + 1);
        } finally {
          await server.close();
        }
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('are reached in one transaction: all of it or none', async () => {
    const server = await start({
      migrations: [{ version: 1, name: 't', statements: ['CREATE TABLE t (n int NOT NULL)'] }],
    });
    try {
      const sql = server.services.database.sql;
      await expect(
        sql.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES ($1)', [1]);
          await tx.transaction((inner) => inner.query('INSERT INTO t VALUES ($1)', [2]));
          await tx.query('INSERT INTO t VALUES (NULL)');
        }),
      ).rejects.toThrow();
      expect(await sql.query('SELECT n FROM t')).toEqual([]);
      await sql.transaction((tx) => tx.query('INSERT INTO t VALUES ($1)', [3]));
      expect(await sql.query('SELECT n FROM t')).toEqual([{ n: 3 }]);
      const [row] = await sql.query<{ at: unknown }>('SELECT now() AS at');
      expect(row!.at).toBeInstanceOf(Date);
    } finally {
      await server.close();
    }
  });
});
