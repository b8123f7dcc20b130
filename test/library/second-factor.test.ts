/**
 * An app's fields that demand a second factor (docs/API.md, "The library"): `Auth({ mfa: true })`
 * and `HasRole(..., { mfa: true })` print as the directives with `mfa: true`, and the server
 * enforces them on the app's fields as on its own; MFA_REQUIRED_ROLES takes the app's roles.
 */
import { Ctx, Query, Resolver } from 'type-graphql';
import { Auth, HasRole, printSchema, type AuthApp, type AuthContext } from '../../src/index';
import { firstError, startTestServer, type TestServer } from '../support/harness';
import { enrollTotp, secondFactor } from '../support/totp';

@Resolver()
class Vault {
  @Auth({ mfa: true })
  @Query(() => String)
  vault(@Ctx() ctx: AuthContext): string {
    return `opened at ${ctx.auth.principal().acr}`;
  }

  @HasRole('EDITOR', { mfa: true })
  @Query(() => String)
  publish(): string {
    return 'published';
  }

  @HasRole('EDITOR')
  @Query(() => String)
  draft(): string {
    return 'drafted';
  }

  @Auth()
  @Query(() => String)
  notes(): string {
    return 'notes';
  }
}

const app: AuthApp = { resolvers: [Vault], roles: ['USER', 'EDITOR', 'ADMIN'] };
const MFA_REQUIRED = { code: 'FORBIDDEN', reason: 'MFA_REQUIRED' };

/** Each field of `{ vault publish draft notes }` for `token`: its value or its error. */
async function answers(server: TestServer, token: string) {
  const out: Record<string, unknown> = {};
  for (const field of ['vault', 'publish', 'draft', 'notes']) {
    const res = await server.gql<Record<string, string>>(`{ ${field} }`, { token });
    out[field] = res.data?.[field] ?? firstError(res);
  }
  return out;
}

it('prints the directives with mfa: true where the decorators ask for it', async () => {
  const sdl = await printSchema(app);
  expect(sdl).toMatch(/vault: String! @auth\(mfa: true\)/);
  expect(sdl).toMatch(/publish: String! @hasRole\(roles: \[EDITOR\], mfa: true\)/);
  expect(sdl).toMatch(/draft: String! @hasRole\(roles: \[EDITOR\]\)\n/);
  expect(sdl).toMatch(/notes: String! @auth\n/);
  expect(sdl).toContain('"""Requires authentication. Requires a second factor."""\n  vault:');
});

it('refuses decorator arguments that are not roles, then options', () => {
  const decorate = HasRole as (...args: unknown[]) => unknown;
  expect(() => decorate({ mfa: true })).toThrow('HasRole: give one or more role names');
  expect(() => decorate('ADMIN', { mfa: true }, 'USER')).toThrow('HasRole: give one or more');
});

describe("an app's fields guarded with mfa: true", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' }, { app });
  });
  afterAll(() => server.close());

  it('are FORBIDDEN, reason MFA_REQUIRED, at aal1, and open after verifyMfa', async () => {
    const alice = (await server.login('alice', 'secret123')).accessToken;
    const enrolled = await enrollTotp(server, alice);
    expect(await answers(server, alice)).toEqual({
      vault: MFA_REQUIRED,
      publish: MFA_REQUIRED,
      draft: 'drafted',
      notes: 'notes',
    });
    const aal2 = (await secondFactor(server, alice, enrolled)).accessToken;
    expect(await answers(server, aal2)).toEqual({
      vault: 'opened at aal2',
      publish: 'published',
      draft: 'drafted',
      notes: 'notes',
    });
  });

  it('judge the role before the second factor', async () => {
    const bob = (await server.login('bob', 'password456')).accessToken;
    expect(await answers(server, bob)).toMatchObject({
      vault: MFA_REQUIRED,
      publish: { code: 'FORBIDDEN' },
      draft: { code: 'FORBIDDEN' },
    });
  });
});

describe('MFA_REQUIRED_ROLES with the roles of the app', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      { LOGIN_MAX_FAILURES: '1000', MFA_REQUIRED_ROLES: 'EDITOR' },
      { app },
    );
  });
  afterAll(() => server.close());

  it('makes every @hasRole naming EDITOR demand aal2', async () => {
    const alice = (await server.login('alice', 'secret123')).accessToken;
    expect(await answers(server, alice)).toEqual({
      vault: MFA_REQUIRED,
      publish: MFA_REQUIRED,
      draft: MFA_REQUIRED,
      notes: 'notes',
    });
  });
});
