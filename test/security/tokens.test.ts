/**
 * Forged and broken access tokens (docs/SECURITY.md, "Forged tokens"; RFC 8725). Each one is
 * built by hand as an attacker would and sent as a Bearer token to a guarded field: every one
 * gets UNAUTHENTICATED, no data, and HTTP 200 — never a 5xx.
 *
 * Claims checks are tested with tokens signed with the server's real secret, so each test
 * shows the claim check itself refusing, not the signature check in front of it.
 */
import { createHmac, createSecretKey } from 'node:crypto';
import { signAccessToken } from '../../src/auth/access-tokens';
import { loadSigningKeys } from '../../src/auth/keys';
import { startTestServer, type TestServer } from '../support/harness';
import {
  START_TIMEOUT_MS,
  base64url,
  compactJws,
  decodeJwt,
  HARNESS_SECRET,
  hmacSha256,
  postGraphQL,
  rawRequest,
  type RawResponse,
} from './support';

let server: TestServer;
let bob: { accessToken: string; refreshToken: string };
let header: Record<string, unknown>;
let claims: Record<string, unknown>;

beforeAll(async () => {
  server = await startTestServer();
  bob = await server.login('bob', 'password456');
  ({ header, payload: claims } = decodeJwt(bob.accessToken));
}, START_TIMEOUT_MS);
afterAll(() => server?.close());

const ME = '{ me { id username role } }';
const nowSeconds = () => Math.floor(Date.now() / 1000);

function sendBearer(authorization: string, query = ME): Promise<RawResponse> {
  return postGraphQL(server.url, query, { headers: { authorization } });
}

async function expectRefused(token: string, reason: string | RegExp = 'TOKEN_INVALID') {
  const res = await sendBearer(`Bearer ${token}`);
  expect(res.status).toBe(200);
  expect(res.json?.data ?? null).toBeNull();
  expect(res.json?.errors).toHaveLength(1);
  const extensions = res.json!.errors![0]!.extensions!;
  expect(extensions.code).toBe('UNAUTHENTICATED');
  expect(extensions.reason).toEqual(
    typeof reason === 'string' ? reason : expect.stringMatching(reason),
  );
  expect(res.text).not.toContain(String(claims.sub));
}

/** Signed with the server's own secret: only the claim or header check can refuse it. */
const signedByServer = (h: unknown, p: unknown) => compactJws(h, p, hmacSha256(HARNESS_SECRET));

describe('a token signed by hand with the server secret', () => {
  it('is accepted when header and claims are right (so the tests below are not vacuous)', async () => {
    const token = signedByServer(header, { ...claims, jti: 'hand-made' });
    const res = await sendBearer(`Bearer ${token}`);
    expect(res.json?.data).toEqual({ me: { id: claims.sub, username: 'bob', role: 'USER' } });
  });
});

describe('alg none and stripped signatures', () => {
  const casings = ['none', 'None', 'NONE', 'nOnE'];
  it.each(casings)('refuses alg "%s" with an empty, a copied or an HMAC signature', async (alg) => {
    const forgedHeader = { ...header, alg };
    const admin = { ...claims, role: 'ADMIN' };
    const unsigned = `${base64url(forgedHeader)}.${base64url(admin)}`;
    const copied = bob.accessToken.split('.')[2]!;
    for (const token of [
      `${unsigned}.`,
      unsigned,
      `${unsigned}.${copied}`,
      compactJws(forgedHeader, admin, hmacSha256('')),
    ]) {
      await expectRefused(token);
    }
  });

  it('refuses the real token with its signature stripped or replaced', async () => {
    const [h, p] = bob.accessToken.split('.');
    for (const token of [
      `${h}.${p}.`,
      `${h}.${p}`,
      `${h}.${p}.AAAA`,
      `${h}.${p}.${'A'.repeat(43)}`,
    ]) {
      await expectRefused(token);
    }
  });
});

describe('tampering', () => {
  it.each([
    ['role raised to ADMIN', { role: 'ADMIN' }],
    ['another subject', { sub: '00000000-0000-0000-0000-000000000000' }],
    ['a later expiry', { exp: nowSeconds() + 86400 * 365 }],
    ['another session', { sid: 'other-session' }],
  ])('refuses the payload changed under the old signature: %s', async (_name, change) => {
    const [h, , signature] = bob.accessToken.split('.');
    const token = `${h}.${base64url({ ...claims, ...change })}.${signature}`;
    await expectRefused(token);
    // An admin-only field and an admin-only mutation stay shut too.
    const users = await sendBearer(`Bearer ${token}`, '{ users { id } }');
    expect(users.json?.data ?? null).toBeNull();
    expect(users.json?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const create = await sendBearer(
      `Bearer ${token}`,
      'mutation { createUser(input: { username: "mallory", password: "mallory-password" }) { id } }',
    );
    expect(create.json?.data ?? null).toBeNull();
    expect(create.json?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('other keys', () => {
  it.each(['', 'secret', 'password', 'changeme', 'your-256-bit-secret', 'jwt-secret', 'a', ' '])(
    'refuses HS256 signed with the weak secret %j',
    async (secret) => {
      await expectRefused(compactJws(header, { ...claims, role: 'ADMIN' }, hmacSha256(secret)));
    },
  );

  it('refuses a valid token from a server with another secret', async () => {
    const keys = loadSigningKeys({
      algorithm: 'HS256',
      secret: 'another-deployment-secret-0123456789-abcdefgh',
      privateKeyFile: undefined,
      secretDir: undefined,
    });
    const { token } = signAccessToken(
      { keys, issuer: 'graphql-auth', audience: 'graphql-api', ttlSeconds: 900 },
      { userId: String(claims.sub), role: 'ADMIN', sessionId: String(claims.sid), level: 'aal2' },
      nowSeconds(),
    );
    await expectRefused(token);
  });

  it('never uses kid to pick a key: injected kid values change nothing', async () => {
    for (const kid of [
      '../../../../../../dev/null',
      "' OR '1'='1",
      'x; cat /etc/passwd',
      '',
      '0',
      'http://127.0.0.1:1/key',
    ]) {
      // Signed with what those kids would point to: an empty key, or the kid text itself.
      await expectRefused(compactJws({ ...header, kid }, claims, hmacSha256('')));
      await expectRefused(compactJws({ ...header, kid }, claims, hmacSha256(kid)));
      await expectRefused(compactJws({ ...header, kid }, claims, hmacSha256(Buffer.alloc(0))));
    }
  });

  it('ignores jku, x5u and jwk headers: the key is ours, never the token’s', async () => {
    const attackerSecret = 'attacker-controlled-secret-0123456789abcdef';
    const jwk = {
      kty: 'oct',
      k: createSecretKey(Buffer.from(attackerSecret)).export().toString('base64url'),
    };
    for (const extra of [
      { jku: 'http://127.0.0.1:9/jwks.json' },
      { x5u: 'http://127.0.0.1:9/cert.pem' },
      { jwk },
      { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
    ]) {
      await expectRefused(compactJws({ ...header, ...extra }, claims, hmacSha256(attackerSecret)));
    }
  });
});

describe('the header', () => {
  it('refuses crit, even with a valid signature (RFC 7515 §4.1.11)', async () => {
    await expectRefused(signedByServer({ ...header, crit: ['exp'] }, claims));
    await expectRefused(signedByServer({ ...header, crit: ['b64'], b64: false }, claims));
    await expectRefused(signedByServer({ ...header, crit: [] }, claims));
  });

  it.each([
    ['missing', undefined],
    ['JWT', 'JWT'],
    ['a refresh type', 'rt+jwt'],
    ['a number', 1],
    ['with a space', 'at+jwt '],
  ])('refuses typ %s, even with a valid signature', async (_name, typ) => {
    await expectRefused(signedByServer({ ...header, typ }, claims));
  });

  it('refuses a header that is not JSON, or not an object', async () => {
    for (const badHeader of ['not json', '[]', '"HS256"', 'null', '{"alg":"HS256"']) {
      await expectRefused(signedByServer(badHeader, claims));
    }
  });

  it('refuses an alg other than the configured one, even signed with the secret', async () => {
    // HS384 and HS512 with their own hash: a verifier that let the token pick would accept them.
    for (const [alg, hash] of [
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      const sign = (input: string) => createHmac(hash, HARNESS_SECRET).update(input).digest();
      await expectRefused(compactJws({ ...header, alg }, claims, sign));
    }
    for (const alg of ['hs256', 'HS256 ', 'RS256', 'ES256', 'EdDSA']) {
      await expectRefused(signedByServer({ ...header, alg }, claims));
    }
  });
});

describe('the claims, each under a valid signature', () => {
  const without = (name: string) => {
    const { [name]: _removed, ...rest } = claims;
    return rest;
  };

  it.each([
    ['a wrong iss', { iss: 'https://evil.example' }],
    ['a wrong aud', { aud: 'another-api' }],
    ['a wrong aud list', { aud: ['another-api', 'yet-another'] }],
    ['an iss of the wrong type', { iss: ['graphql-auth'] }],
    ['exp as a string', { exp: String(nowSeconds() + 900) }],
    ['exp as a boolean', { exp: true }],
    ['exp as an object', { exp: { $gt: 0 } }],
    ['exp as an array', { exp: [nowSeconds() + 900] }],
    ['exp null', { exp: null }],
    ['nbf as a string', { nbf: '0' }],
    ['a role that does not exist', { role: 'ROOT' }],
    ['sub as a number', { sub: 1 }],
  ])('refuses %s', async (_name, change) => {
    await expectRefused(signedByServer(header, { ...claims, ...change }));
  });

  it.each(['iss', 'aud', 'exp', 'sub', 'sid', 'jti', 'role'])(
    'refuses a missing %s',
    async (name) => {
      await expectRefused(signedByServer(header, without(name)));
    },
  );

  it('refuses an nbf in the future', async () => {
    await expectRefused(signedByServer(header, { ...claims, nbf: nowSeconds() + 3600 }));
  });

  it('refuses an exp in the past: TOKEN_EXPIRED', async () => {
    await expectRefused(
      signedByServer(header, { ...claims, exp: nowSeconds() - 60 }),
      'TOKEN_EXPIRED',
    );
  });

  it('refuses payloads that are not JSON or not objects', async () => {
    for (const payload of ['not json', '123', '"a string"', '[]', 'null', 'true', '']) {
      await expectRefused(signedByServer(header, payload));
    }
  });
});

describe('malformed tokens', () => {
  it.each([
    ['garbage', 'garbage'],
    ['three dots', '...'],
    ['two dots', '..'],
    ['four parts', 'a.b.c.d'],
    ['bad base64url', 'a+b.c/d.e=f'],
    ['non-ASCII', 'ä.ö.ü'],
    ['JSON instead of base64url', '{"alg":"none"}.{}.'],
    ['a 100 KB token', `${'A'.repeat(50_000)}.${'B'.repeat(49_998)}.C`],
  ])('refuses %s', async (_name, token) => {
    await expectRefused(token);
  });

  it('refuses an empty or schemeless Authorization header', async () => {
    for (const [authorization, reason] of [
      ['', 'TOKEN_MISSING'],
      ['   ', 'TOKEN_MISSING'],
      ['Bearer', 'TOKEN_INVALID'],
      ['Bearer ', 'TOKEN_INVALID'],
      [bob.accessToken, 'TOKEN_INVALID'],
      [`Basic ${bob.accessToken}`, 'TOKEN_INVALID'],
      [`Bearer ${bob.accessToken} extra`, 'TOKEN_INVALID'],
    ] as const) {
      const res = await sendBearer(authorization);
      expect(res.status).toBe(200);
      expect(res.json?.data ?? null).toBeNull();
      expect(res.json?.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason });
    }
  });

  it('refuses a refresh token presented as a Bearer token', async () => {
    await expectRefused(bob.refreshToken);
  });

  it('keeps serving after all of it', async () => {
    const res = await rawRequest(server.url, { method: 'GET', path: '/healthz' });
    expect(res.status).toBe(200);
    const me = await sendBearer(`Bearer ${bob.accessToken}`);
    expect(me.json?.data).toEqual({ me: { id: claims.sub, username: 'bob', role: 'USER' } });
  });
});
