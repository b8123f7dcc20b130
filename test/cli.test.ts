import { loadConfig } from '../src/config';
import { runAdmin } from '../src/cli/admin';
import { openServices, type Services } from '../src/services';
import { templateBlob } from './support/harness';

let services: Services;
beforeAll(async () => {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'memory://', BCRYPT_COST: '4' });
  services = await openServices(config, { pgliteTemplate: templateBlob(), seed: false });
});
afterAll(() => services.close());

const password = async () => 'a long enough password';
const client = { address: '127.0.0.1', requestId: 'cli-test' };

describe('the admin command line', () => {
  it('creates an admin with the password from stdin, and the admin can log in', async () => {
    expect(await runAdmin(['create-user', 'root', '--role', 'ADMIN'], services, password)).toMatch(
      /Created ADMIN "root"/,
    );
    const pair = await services.sessions.login('root', 'a long enough password', client);
    expect(pair.accessToken).toEqual(expect.any(String));
  });

  it('deactivates a user and ends every session, then activates again', async () => {
    await runAdmin(['create-user', 'carol'], services, password);
    const pair = await services.sessions.login('carol', 'a long enough password', client);
    await runAdmin(['deactivate', 'carol'], services, password);
    await expect(services.sessions.refresh(pair.refreshToken, client)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(
      services.sessions.login('carol', 'a long enough password', client),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await runAdmin(['activate', 'carol'], services, password);
    await expect(
      services.sessions.login('carol', 'a long enough password', client),
    ).resolves.toBeTruthy();
  });

  it('refuses to deactivate the last active admin, with a clear message', async () => {
    await expect(runAdmin(['deactivate', 'root'], services, password)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/last active admin/),
    });
    await expect(
      services.sessions.login('root', 'a long enough password', client),
    ).resolves.toBeTruthy();
  });

  it('revokes the sessions of a user', async () => {
    await runAdmin(['create-user', 'dave'], services, password);
    const pair = await services.sessions.login('dave', 'a long enough password', client);
    expect(await runAdmin(['revoke-sessions', 'dave'], services, password)).toMatch(
      /Ended every session/,
    );
    await expect(services.sessions.refresh(pair.refreshToken, client)).rejects.toMatchObject({
      reason: 'TOKEN_REVOKED',
    });
  });

  it('refuses unknown users, unknown commands, bad roles and weak passwords clearly', async () => {
    await expect(runAdmin(['deactivate', 'nobody'], services, password)).rejects.toThrow(
      /No user is called "nobody"/,
    );
    await expect(runAdmin(['explode', 'x'], services, password)).rejects.toThrow(/Unknown command/);
    await expect(
      runAdmin(['create-user', 'erin', '--role', 'ROOT'], services, password),
    ).rejects.toThrow(/--role/);
    await expect(
      runAdmin(['create-user', 'erin'], services, async () => 'short'),
    ).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });
});

describe('admin rotate-key', () => {
  it('adds a key that signs from its moment on, while tokens of the old key stay valid', async () => {
    const before = await services.sessions.login('root', 'a long enough password', client);
    const oldKid = services.keys.kid;
    expect(await runAdmin(['rotate-key', '--activate-in', '0s'], services, password)).toMatch(
      /Added the signing key [\w-]+: it signs from .* \(in 0 s\)/,
    );
    expect(services.keys.kid).not.toBe(oldKid);
    const after = await services.sessions.login('root', 'a long enough password', client);
    const kid = (token: string) =>
      (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string })
        .kid;
    expect(kid(after.accessToken)).toBe(services.keys.kid);
    expect(kid(before.accessToken)).toBe(oldKid);
    const { authenticate } = await import('../src/auth/authenticate');
    for (const token of [before.accessToken, after.accessToken]) {
      expect(authenticate(services.deps, `Bearer ${token}`).userId).toEqual(expect.any(String));
    }
  });

  it('says what is wrong with --activate-in', async () => {
    await expect(
      runAdmin(['rotate-key', '--activate-in', 'soon'], services, password),
    ).rejects.toThrow(/--activate-in: "soon" is not a duration/);
  });
});
