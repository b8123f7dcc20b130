/**
 * enforceGuards on small schemas written as SDL, with no server: the start-up checks
 * (deny by default, no unenforced directive) and the rule that a type's guard and its field's
 * guard must both pass (docs/API.md, "Authorization rules").
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  execute,
  isObjectType,
  parse,
  subscribe,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { Principal } from '../../../auth/access-tokens';
import type { Caller } from '../../../auth/authenticate';
import { AuthError, Forbidden, Unauthenticated } from '../../../auth/errors';
import type { Role } from '../../../auth/roles';
import { enforceGuards } from '../enforce-guards';

const GUARD_DIRECTIVES = /* GraphQL */ `
  directive @public on FIELD_DEFINITION
  directive @auth on OBJECT | FIELD_DEFINITION
  directive @hasRole(roles: [Role!]!) on OBJECT | FIELD_DEFINITION
  enum Role {
    USER
    ADMIN
  }
`;

function schemaOf(sdl: string, resolvers: Record<string, Record<string, unknown>> = {}) {
  return makeExecutableSchema({ typeDefs: `${GUARD_DIRECTIVES}\n${sdl}`, resolvers });
}

function principal(role: Role, acr: 'aal1' | 'aal2' = 'aal1'): Principal {
  return {
    userId: 'u1',
    role,
    sessionId: 's1',
    tokenId: 't1',
    expiresAt: 2_000_000_000,
    acr,
    amr: acr === 'aal2' ? ['pwd', 'otp'] : ['pwd'],
  };
}

/** The context the guards read: a Caller (src/auth/authenticate.ts) that always answers `who`. */
function contextFor(who: Principal | Unauthenticated): { auth: Caller } {
  return {
    auth: {
      resolve: () => who,
      principal: () => {
        if (who instanceof Unauthenticated) throw who;
        return who;
      },
      forLogout: () => who,
    },
  };
}

const ANONYMOUS = new Unauthenticated('TOKEN_MISSING');

/** Runs `query` and reports each error as its path and the code of the AuthError behind it. */
async function run(schema: GraphQLSchema, query: string, who: Principal | Unauthenticated) {
  const result = (await execute({
    schema,
    document: parse(query),
    contextValue: contextFor(who),
  })) as ExecutionResult;
  return {
    data: result.data,
    errors: (result.errors ?? []).map((e) => ({
      path: e.path,
      code: e.originalError instanceof AuthError ? e.originalError.code : e.message,
    })),
  };
}

describe('deny by default', () => {
  it('refuses to start when a Query field has none of @public, @auth, @hasRole, naming it', () => {
    const schema = schemaOf(`type Query { hello: String @public  secret: String }`);
    expect(() => enforceGuards(schema)).toThrow(/Query\.secret/);
  });

  it('refuses to start when a Mutation field has no guard, naming it', () => {
    const schema = schemaOf(`
      type Query { hello: String @public }
      type Mutation { ok: Boolean @auth  dropTables: Boolean }
    `);
    expect(() => enforceGuards(schema)).toThrow(/Mutation\.dropTables/);
  });

  it('accepts a root field guarded through its type', () => {
    const schema = schemaOf(`type Query @auth { a: String  b: String }`);
    expect(() => enforceGuards(schema)).not.toThrow();
  });

  it('accepts a schema whose every root field carries a guard', () => {
    const schema = schemaOf(`
      type Query { hello: String @public  me: String @auth  admin: String @hasRole(roles: [ADMIN]) }
      type Mutation { login: String @public }
    `);
    expect(() => enforceGuards(schema)).not.toThrow();
  });

  it('does not require guards on fields of non-root types', () => {
    const schema = schemaOf(`
      type Query { thing: Thing @auth }
      type Thing { name: String }
    `);
    expect(() => enforceGuards(schema)).not.toThrow();
  });

  it('refuses a field that is both @public and guarded', () => {
    const schema = schemaOf(`type Query { both: String @public @auth }`);
    expect(() => enforceGuards(schema)).toThrow(/Query\.both/);
  });

  it('refuses @hasRole with an empty list of roles, naming the field', () => {
    const schema = schemaOf(`type Query { nobody: String @hasRole(roles: []) }`);
    expect(() => enforceGuards(schema)).toThrow(/Query\.nobody/);
  });
});

describe('directives no guard enforces', () => {
  it('refuses an unknown directive on a field, naming it and the field', () => {
    const schema = schemaOf(`
      directive @cacheControl(maxAge: Int) on FIELD_DEFINITION | OBJECT
      type Query { hello: String @public @cacheControl(maxAge: 60) }
    `);
    expect(() => enforceGuards(schema)).toThrow(/@cacheControl.*Query\.hello/);
  });

  it('refuses an unknown directive on an object type', () => {
    const schema = schemaOf(`
      directive @cacheControl(maxAge: Int) on FIELD_DEFINITION | OBJECT
      type Query { thing: Thing @auth }
      type Thing @cacheControl(maxAge: 60) { name: String }
    `);
    expect(() => enforceGuards(schema)).toThrow(/@cacheControl.*Thing/);
  });

  it('refuses @auth on an interface field: resolvers run on objects, not interfaces', () => {
    const schema = schemaOf(`
      interface Node { id: ID! @auth }
      type Query { node: Node @public }
      type Thing implements Node { id: ID! }
    `);
    expect(() => enforceGuards(schema)).toThrow(/@auth.*Node\.id/);
  });

  it('refuses @auth on an interface type', () => {
    const schema = makeExecutableSchema({
      typeDefs: `
        directive @public on FIELD_DEFINITION
        directive @auth on OBJECT | FIELD_DEFINITION | INTERFACE
        interface Node @auth { id: ID! }
        type Query { node: Node @public }
        type Thing implements Node { id: ID! }
      `,
    });
    expect(() => enforceGuards(schema)).toThrow(/@auth.*Node/);
  });

  it('refuses a guard directive on an argument', () => {
    const schema = makeExecutableSchema({
      typeDefs: `
        directive @public on FIELD_DEFINITION
        directive @auth on OBJECT | FIELD_DEFINITION | ARGUMENT_DEFINITION
        type Query { search(text: String @auth): String @public }
      `,
    });
    expect(() => enforceGuards(schema)).toThrow(/@auth.*Query\.search\(text\)/);
  });

  it('refuses a guard directive on an input field', () => {
    const schema = makeExecutableSchema({
      typeDefs: `
        directive @public on FIELD_DEFINITION
        directive @auth on OBJECT | FIELD_DEFINITION | INPUT_FIELD_DEFINITION
        input Filter { secret: String @auth }
        type Query { search(filter: Filter): String @public }
      `,
    });
    expect(() => enforceGuards(schema)).toThrow(/@auth.*Filter\.secret/);
  });

  it('accepts the built-in @deprecated next to a guard', () => {
    const schema = schemaOf(`type Query { old: String @auth @deprecated(reason: "use new") }`);
    expect(() => enforceGuards(schema)).not.toThrow();
  });
});

describe('guards at run time', () => {
  const schema = enforceGuards(
    schemaOf(
      `
        type Query {
          hello: String @public
          me: String @auth
          admin: String @hasRole(roles: [ADMIN])
          member: String @hasRole(roles: [USER])
          either: String @hasRole(roles: [USER, ADMIN])
          report: Report @public
          ledger: Ledger @public
        }
        "Any valid token; salary also needs ADMIN."
        type Report @auth { summary: String  salary: String @hasRole(roles: [ADMIN]) }
        "Needs ADMIN; total also needs a token."
        type Ledger @hasRole(roles: [ADMIN]) { total: String @auth }
      `,
      {
        Query: {
          hello: () => 'hello',
          me: () => 'me',
          admin: () => 'admin',
          member: () => 'member',
          either: () => 'either',
          report: () => ({ summary: 'fine', salary: '100' }),
          ledger: () => ({ total: '42' }),
        },
      },
    ),
  );

  it('passes an @auth field for any principal and refuses one without: UNAUTHENTICATED', async () => {
    expect(await run(schema, '{ me }', principal('USER'))).toEqual({
      data: { me: 'me' },
      errors: [],
    });
    expect(await run(schema, '{ me }', ANONYMOUS)).toEqual({
      data: { me: null },
      errors: [{ path: ['me'], code: 'UNAUTHENTICATED' }],
    });
  });

  it('passes @hasRole(roles: [USER]) for an ADMIN: ADMIN includes USER', async () => {
    expect(await run(schema, '{ member }', principal('ADMIN'))).toEqual({
      data: { member: 'member' },
      errors: [],
    });
  });

  it('does not let a USER pass @hasRole(roles: [ADMIN]): FORBIDDEN', async () => {
    expect(await run(schema, '{ admin }', principal('USER'))).toEqual({
      data: { admin: null },
      errors: [{ path: ['admin'], code: 'FORBIDDEN' }],
    });
  });

  it('passes @hasRole when the principal has any one of the listed roles', async () => {
    for (const role of ['USER', 'ADMIN'] as const) {
      expect(await run(schema, '{ either }', principal(role))).toEqual({
        data: { either: 'either' },
        errors: [],
      });
    }
  });

  it('gives partial results: a refused nullable field is null with an error, the rest resolve', async () => {
    expect(await run(schema, '{ hello me admin }', principal('USER'))).toEqual({
      data: { hello: 'hello', me: 'me', admin: null },
      errors: [{ path: ['admin'], code: 'FORBIDDEN' }],
    });
  });

  it('guards every field of a type that carries a directive', async () => {
    expect(await run(schema, '{ report { summary salary } }', ANONYMOUS)).toEqual({
      data: { report: { summary: null, salary: null } },
      errors: [
        { path: ['report', 'summary'], code: 'UNAUTHENTICATED' },
        { path: ['report', 'salary'], code: 'UNAUTHENTICATED' },
      ],
    });
  });

  it('needs the field guard too when the type guard passes', async () => {
    expect(await run(schema, '{ report { summary salary } }', principal('USER'))).toEqual({
      data: { report: { summary: 'fine', salary: null } },
      errors: [{ path: ['report', 'salary'], code: 'FORBIDDEN' }],
    });
    expect(await run(schema, '{ report { summary salary } }', principal('ADMIN'))).toEqual({
      data: { report: { summary: 'fine', salary: '100' } },
      errors: [],
    });
  });

  it('needs the type guard too when the field guard passes', async () => {
    expect(await run(schema, '{ ledger { total } }', principal('USER'))).toEqual({
      data: { ledger: { total: null } },
      errors: [{ path: ['ledger', 'total'], code: 'FORBIDDEN' }],
    });
    expect(await run(schema, '{ ledger { total } }', principal('ADMIN'))).toEqual({
      data: { ledger: { total: '42' } },
      errors: [],
    });
  });

  it('waits for a caller still being checked (its user is read), then judges it the same', async () => {
    const later = (who: Principal | Unauthenticated) => ({
      auth: { ...contextFor(who).auth, resolve: () => Promise.resolve(who) },
    });
    const run = async (query: string, who: Principal | Unauthenticated) =>
      (await execute({
        schema,
        document: parse(query),
        contextValue: later(who),
      })) as ExecutionResult;
    expect((await run('{ hello me admin }', principal('ADMIN'))).data).toEqual({
      hello: 'hello',
      me: 'me',
      admin: 'admin',
    });
    const refused = await run('{ hello me }', new Unauthenticated('TOKEN_REVOKED'));
    expect(refused.data).toEqual({ hello: 'hello', me: null });
    expect(refused.errors?.map((e) => e.originalError)).toEqual([expect.any(Unauthenticated)]);
  });

  it('writes each guarded field requirement into its description', () => {
    const describe = (typeName: string, field: string) => {
      const type = schema.getType(typeName);
      if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
      return type.getFields()[field]?.description;
    };
    expect(describe('Query', 'me')).toBe('Requires authentication.');
    expect(describe('Query', 'admin')).toBe('Requires role: ADMIN.');
    expect(describe('Query', 'either')).toBe('Requires role: USER or ADMIN.');
    expect(describe('Query', 'hello')).toBeUndefined();
    expect(describe('Report', 'summary')).toBe('Requires authentication.');
    expect(describe('Report', 'salary')).toContain('Requires role: ADMIN');
    expect(describe('Ledger', 'total')).toContain('Requires role: ADMIN');
  });
});

describe('mfa: true, and the roles of MFA_REQUIRED_ROLES', () => {
  const sdl = /* GraphQL */ `
    directive @public on FIELD_DEFINITION
    directive @auth(mfa: Boolean! = false) on OBJECT | FIELD_DEFINITION
    directive @hasRole(roles: [Role!]!, mfa: Boolean! = false) on OBJECT | FIELD_DEFINITION
    enum Role {
      USER
      ADMIN
    }
    type Query {
      plain: String @auth
      strong: String @auth(mfa: true)
      admin: String @hasRole(roles: [ADMIN])
      strongAdmin: String @hasRole(roles: [ADMIN], mfa: true)
      member: String @hasRole(roles: [USER])
      vault: Vault @public
    }
    type Vault @auth(mfa: true) {
      gold: String
    }
  `;
  const fields = ['plain', 'strong', 'admin', 'strongAdmin', 'member'];
  const build = (mfaRequiredRoles?: Role[]) =>
    enforceGuards(
      makeExecutableSchema({
        typeDefs: sdl,
        resolvers: {
          Query: {
            ...Object.fromEntries(fields.map((name) => [name, () => name])),
            vault: () => ({ gold: 'gold' }),
          },
        },
      }),
      mfaRequiredRoles ? { mfaRequiredRoles } : undefined,
    );

  /** Each refused field: its code and, for FORBIDDEN, its reason. */
  async function refusals(schema: GraphQLSchema, query: string, who: Principal) {
    const result = (await execute({
      schema,
      document: parse(query),
      contextValue: contextFor(who),
    })) as ExecutionResult;
    return Object.fromEntries(
      (result.errors ?? []).map((e) => [
        e.path!.join('.'),
        e.originalError instanceof Forbidden
          ? `${e.originalError.code} ${e.originalError.reason ?? ''}`.trim()
          : e.message,
      ]),
    );
  }

  it('refuses a session at aal1 with FORBIDDEN, reason MFA_REQUIRED; aal2 passes', async () => {
    const schema = build();
    const all = `{ ${fields.join(' ')} vault { gold } }`;
    expect(await refusals(schema, all, principal('ADMIN'))).toEqual({
      strong: 'FORBIDDEN MFA_REQUIRED',
      strongAdmin: 'FORBIDDEN MFA_REQUIRED',
      'vault.gold': 'FORBIDDEN MFA_REQUIRED',
    });
    expect(await refusals(schema, all, principal('ADMIN', 'aal2'))).toEqual({});
  });

  it('judges the role first: a second factor would not help a USER at an ADMIN field', async () => {
    expect(await refusals(build(), '{ strongAdmin }', principal('USER'))).toEqual({
      strongAdmin: 'FORBIDDEN',
    });
  });

  it('makes every @hasRole naming a role of MFA_REQUIRED_ROLES demand aal2, and no other', async () => {
    const schema = build(['ADMIN']);
    expect(await refusals(schema, `{ ${fields.join(' ')} }`, principal('ADMIN'))).toEqual({
      strong: 'FORBIDDEN MFA_REQUIRED',
      admin: 'FORBIDDEN MFA_REQUIRED',
      strongAdmin: 'FORBIDDEN MFA_REQUIRED',
    });
    expect(await refusals(build(), '{ admin }', principal('ADMIN'))).toEqual({});
  });

  it('says "Requires a second factor." in the description of each field that demands it', () => {
    const describe = (schema: GraphQLSchema) => {
      const query = schema.getQueryType()!.getFields();
      return Object.fromEntries(fields.map((name) => [name, query[name]!.description]));
    };
    expect(describe(build())).toEqual({
      plain: 'Requires authentication.',
      strong: 'Requires authentication. Requires a second factor.',
      admin: 'Requires role: ADMIN.',
      strongAdmin: 'Requires role: ADMIN. Requires a second factor.',
      member: 'Requires role: USER.',
    });
    expect(describe(build(['ADMIN'])).admin).toBe(
      'Requires role: ADMIN. Requires a second factor.',
    );
    const vault = build().getType('Vault');
    expect(isObjectType(vault) && vault.getFields().gold!.description).toBe(
      'Requires authentication. Requires a second factor.',
    );
  });
});

describe('Subscription fields', () => {
  it('refuses to start when a Subscription field has no guard, naming it', () => {
    expect(() =>
      enforceGuards(
        schemaOf(`type Query { hello: String @public } type Subscription { ticks: Int }`),
      ),
    ).toThrow('Deny by default: Subscription.ticks has none of @public, @auth, @hasRole');
  });

  /** A source of two events, and a caller that can change between them. */
  function ticking() {
    let who: Principal | Unauthenticated = principal('ADMIN');
    const schema = enforceGuards(
      schemaOf(
        `type Query { hello: String @public }
         type Subscription { ticks: Int @hasRole(roles: [ADMIN]) }`,
        {
          Subscription: {
            ticks: {
              subscribe: async function* () {
                yield { ticks: 1 };
                yield { ticks: 2 };
              },
            },
          },
        },
      ),
    );
    const context: { auth: Caller } = {
      auth: { resolve: () => who, principal: () => principal('ADMIN'), forLogout: () => who },
    };
    return { schema, context, become: (next: Principal | Unauthenticated) => (who = next) };
  }

  it('checks the guard at subscribe: an error, no events', async () => {
    const { schema, context, become } = ticking();
    become(principal('USER'));
    const result = await subscribe({
      schema,
      document: parse('subscription { ticks }'),
      contextValue: context,
    });
    expect(Symbol.asyncIterator in result).toBe(false);
    const errors = (result as ExecutionResult).errors ?? [];
    expect(errors.map((e) => (e.originalError as AuthError).code)).toEqual(['FORBIDDEN']);
  });

  it('checks the guard again before every event, with the caller read afresh', async () => {
    const { schema, context, become } = ticking();
    const events = (await subscribe({
      schema,
      document: parse('subscription { ticks }'),
      contextValue: context,
    })) as AsyncIterableIterator<ExecutionResult>;
    const first = await events.next();
    expect(first.value).toEqual({ data: { ticks: 1 } });
    become(new Unauthenticated('TOKEN_REVOKED'));
    const second = await events.next();
    expect(second.value.data).toEqual({ ticks: null });
    const refused = second.value.errors?.[0]?.originalError as Unauthenticated;
    expect(refused.reason).toBe('TOKEN_REVOKED');
  });
});
