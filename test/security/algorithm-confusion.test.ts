/**
 * Asymmetric keys (RS256) and what attackers do with them: algorithm confusion (HS256 keyed
 * with the public key), alg none, their own key pair, and key headers (jwk, jku, x5u, kid)
 * pointing at keys they control. A tiny HTTP server stands where jku/x5u point and records
 * whether the auth server ever fetches from it: it must not.
 */
import {
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  constants,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
} from './support';

let server: TestServer;
let keyDir: string;
let serverKey: KeyObject;
let publicPem: string;
let bob: { accessToken: string };
let header: Record<string, unknown>;
let claims: Record<string, unknown>;
let spy: Server;
let spyUrl: string;
const spyRequests: string[] = [];

const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'graphql-auth-rs256-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  serverKey = privateKey;
  const keyFile = join(keyDir, 'jwt-private.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();

  spy = createServer((req, res) => {
    spyRequests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [attackerJwk()] }));
  });
  await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
  spyUrl = `http://127.0.0.1:${(spy.address() as AddressInfo).port}`;

  server = await startTestServer({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: keyFile });
  bob = await server.login('bob', 'password456');
  ({ header, payload: claims } = decodeJwt(bob.accessToken));
}, START_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => spy?.close(resolve));
  rmSync(keyDir, { recursive: true, force: true });
});

function attackerJwk() {
  return { ...attacker.publicKey.export({ format: 'jwk' }), kid: 'attacker', alg: 'RS256' };
}

const rs256 = (key: KeyObject) => (input: string) => cryptoSign('sha256', Buffer.from(input), key);
const ps256 = (key: KeyObject) => (input: string) =>
  cryptoSign('sha256', Buffer.from(input), {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });

async function expectRefused(token: string) {
  const res = await postGraphQL(server.url, '{ me { id username } users { id } }', {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  expect(res.json?.data ?? null).toBeNull();
  expect(res.json?.errors?.[0]?.extensions).toEqual({
    code: 'UNAUTHENTICATED',
    reason: 'TOKEN_INVALID',
  });
}

describe('an RS256 server', () => {
  it('issues RS256 tokens, publishes its public key, and accepts its own tokens', async () => {
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const jwks = await rawRequest(server.url, { method: 'GET', path: '/.well-known/jwks.json' });
    expect(jwks.json).toMatchObject({ keys: [{ kty: 'RSA', alg: 'RS256', kid: header.kid }] });
    expect(jwks.text).not.toMatch(/"d"|"p"|"q"/); // no private parts
    const me = await postGraphQL(server.url, '{ me { username } }', {
      headers: { authorization: `Bearer ${bob.accessToken}` },
    });
    expect(me.json?.data).toEqual({ me: { username: 'bob' } });
  });

  it('accepts a token signed by hand with its private key (the tests below are not vacuous)', async () => {
    const token = compactJws(header, { ...claims, jti: 'by-hand' }, rs256(serverKey));
    const me = await postGraphQL(server.url, '{ me { username } }', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.json?.data).toEqual({ me: { username: 'bob' } });
  });
});

describe('algorithm confusion', () => {
  it.each(['HS256', 'hs256', 'HS384', 'HS512'])(
    'refuses %s keyed with the public key, in every encoding an attacker would try',
    async (alg) => {
      const publicKey = createPublicKey(publicPem);
      const candidates: (string | Buffer)[] = [
        publicPem,
        publicPem.trim(),
        publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        publicKey.export({ type: 'spki', format: 'der' }),
        publicKey.export({ type: 'pkcs1', format: 'der' }),
        JSON.stringify(publicKey.export({ format: 'jwk' })),
      ];
      for (const secret of candidates) {
        await expectRefused(
          compactJws({ ...header, alg }, { ...claims, role: 'ADMIN' }, hmacSha256(secret)),
        );
      }
    },
  );

  it('refuses another asymmetric algorithm with the server’s own key (PS256 for RS256)', async () => {
    await expectRefused(compactJws({ ...header, alg: 'PS256' }, claims, ps256(serverKey)));
  });

  it('refuses alg none and an empty signature', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      const input = `${base64url({ ...header, alg })}.${base64url(claims)}`;
      await expectRefused(`${input}.`);
      await expectRefused(input);
    }
  });

  it('refuses a valid HS256 token of an HS256 server (another key, another algorithm)', async () => {
    await expectRefused(
      compactJws({ ...header, alg: 'HS256' }, claims, hmacSha256(HARNESS_SECRET)),
    );
  });
});

describe('keys the attacker brings', () => {
  it('refuses RS256 signed with another key pair (another server’s valid token)', async () => {
    await expectRefused(compactJws(header, claims, rs256(attacker.privateKey)));
  });

  it('refuses an embedded jwk header (CVE-2018-0114) and never fetches jku or x5u', async () => {
    const evil = rs256(attacker.privateKey);
    for (const extra of [
      { jwk: attackerJwk() },
      { jku: `${spyUrl}/jwks.json` },
      { jku: `${spyUrl}/jwks.json`, kid: 'attacker' },
      { x5u: `${spyUrl}/cert.pem` },
      { kid: 'attacker', jwk: attackerJwk(), jku: `${spyUrl}/jwks.json` },
    ]) {
      await expectRefused(compactJws({ ...header, ...extra }, { ...claims, role: 'ADMIN' }, evil));
    }
    // Give any background fetch a moment to show up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(spyRequests).toEqual([]);
  });

  it('never uses kid to find a key: path and SQL injection in kid change nothing', async () => {
    const evil = rs256(attacker.privateKey);
    for (const kid of ['../../../../dev/null', "x' UNION SELECT 'key", '/proc/self/environ', '']) {
      await expectRefused(compactJws({ ...header, kid }, claims, evil));
      await expectRefused(compactJws({ ...header, kid, alg: 'HS256' }, claims, hmacSha256('')));
    }
  });

  it('refuses a token signed with the server key when only typ is wrong (checks hold for RS256 too)', async () => {
    await expectRefused(compactJws({ ...header, typ: 'JWT' }, claims, rs256(serverKey)));
    await expectRefused(compactJws({ ...header, crit: ['exp'] }, claims, rs256(serverKey)));
    await expectRefused(compactJws(header, { ...claims, aud: 'other' }, rs256(serverKey)));
  });
});
