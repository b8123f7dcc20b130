/**
 * Signing keys that rotate on two instances (docs/API.md, "Signing keys"): traffic through both
 * during a rotation, and a resource server that knows only the JWKS URL.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../support/harness';
import { createTestBackend, postgresBackendEnabled, type TestBackend } from '../support/postgres';

const ME = '{ me { username } }';
const REFRESH = 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }';

const describeWithServices = postgresBackendEnabled() ? describe : describe.skip;

describeWithServices('a key rotation on two instances of one PostgreSQL and Redis', () => {
  let dir: string;
  let env: Record<string, string>;
  let backend: TestBackend;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'key-rotation-'));
    const file = join(dir, 'es256.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    backend = await createTestBackend();
    env = { ...backend.env, JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: file };
    [a, b] = [await startTestServer(env), await startTestServer(env)];
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await backend?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails no request while a new key comes in, and a JWKS-only resource server accepts both keys', async () => {
    const jwks = createRemoteJWKSet(new URL(`${b.url}/.well-known/jwks.json`), {
      cooldownDuration: 50,
      cacheMaxAge: 60_000,
    });
    const resourceServer = async (token: string) =>
      (await jwtVerify(token, jwks, { issuer: 'graphql-auth', audience: 'graphql-api' })).payload;

    const failures: string[] = [];
    const kids = new Set<string>();
    const started = Date.now();
    let rotated: { kid: string; activatesAt: Date } | undefined;
    const rotation = new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        a.app.services
          .rotateKey(1)
          .then((key) => void (rotated = key))
          .then(resolve, reject);
      }, 300);
    });

    // Login on one instance, `me` and a refresh on the other, the resource server on the
    // token: round after round, from before the new key exists until well after it signs.
    for (let round = 0; Date.now() - started < 3000; round++) {
      const [first, second] = round % 2 === 0 ? [a, b] : [b, a];
      const pair = await first.login('bob', 'password456');
      kids.add(decodeProtectedHeader(pair.accessToken).kid!);
      const me = await second.gql(ME, { token: pair.accessToken });
      if (me.errors) failures.push(`me: ${JSON.stringify(me.errors)}`);
      const refreshed = await second.gql<{ refresh: { accessToken: string } }>(REFRESH, {
        variables: { t: pair.refreshToken },
      });
      if (refreshed.errors) failures.push(`refresh: ${JSON.stringify(refreshed.errors)}`);
      const again = refreshed.data?.refresh.accessToken;
      if (again) {
        const onFirst = await first.gql(ME, { token: again });
        if (onFirst.errors) failures.push(`me after refresh: ${JSON.stringify(onFirst.errors)}`);
      }
      try {
        expect((await resourceServer(pair.accessToken)).sub).toEqual(expect.any(String));
      } catch (error) {
        failures.push(`resource server: ${(error as Error).message}`);
      }
    }
    await rotation;

    expect(failures).toEqual([]);
    expect(rotated).toBeDefined();
    // Both keys signed during the run: the configured one, then the new one on both instances.
    expect(kids).toEqual(new Set([a.app.services.keys.root.kid, rotated!.kid]));
    expect(b.app.services.keys.kid).toBe(rotated!.kid);
    const listed = (await (await fetch(`${a.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(listed.keys.map((k) => k.kid).sort()).toEqual(
      [a.app.services.keys.root.kid, rotated!.kid].sort(),
    );
  });

  it('tells the other instance of a new key at once through Redis', async () => {
    const key = await a.app.services.rotateKey(60);
    const started = Date.now();
    while (b.app.services.keys.verificationKeyFor(key.kid) === undefined) {
      if (Date.now() - started > 2000) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(b.app.services.keys.verificationKeyFor(key.kid)).toBeDefined();
    // It verifies everywhere now but signs only once its moment comes.
    expect(b.app.services.keys.kid).not.toBe(key.kid);
  });

  it('takes a key from `npm run admin -- rotate-key`, run as its own process, without a restart', async () => {
    const cli = join(__dirname, '..', '..', 'dist', 'cli', 'admin.js');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'rotate-key', '--activate-in', '0s'],
      { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env } },
    );
    const kid = /Added the signing key ([\w-]+)/.exec(stdout)?.[1];
    expect(kid).toEqual(expect.any(String));
    const started = Date.now();
    while ([a, b].some((server) => server.app.services.keys.kid !== kid)) {
      if (Date.now() - started > 2000) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect([a.app.services.keys.kid, b.app.services.keys.kid]).toEqual([kid, kid]);
    const pair = await a.login('bob', 'password456');
    expect(decodeProtectedHeader(pair.accessToken).kid).toBe(kid);
    expect((await b.gql(ME, { token: pair.accessToken })).data).toEqual({
      me: { username: 'bob' },
    });
  });
});
