/**
 * A client's authenticator, written apart from src/auth/totp.ts so that the tests do not grade
 * the server's TOTP with its own code: RFC 6238 with HMAC-SHA1, 6 digits, 30-second steps, and
 * the RFC 4648 base32 secret of the enrolment. Then the second-factor steps a client takes.
 */
import { createHmac } from 'node:crypto';
import type { TestServer, TokenPair } from './harness';

function fromBase32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...text.toUpperCase()]
    .map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0'))
    .join('');
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
}

/** The time step of `nowMs`: 30-second periods since the epoch. */
export const stepOf = (nowMs: number) => Math.floor(nowMs / 30_000);

/** The code an authenticator shows at `nowMs`, or `steps` periods later (negative: earlier). */
export function authenticatorCode(secret: string, nowMs: number, steps = 0): string {
  return codeOfStep(secret, stepOf(nowMs) + steps);
}

export function codeOfStep(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', fromBase32(secret)).update(counter).digest();
  const offset = mac[19]! & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

export const PAIR_FIELDS = 'accessToken refreshToken tokenType expiresIn refreshExpiresIn';

export interface Enrolled {
  readonly secret: string;
  readonly otpauthUri: string;
  readonly qrSvg: string;
  readonly recoveryCodes: string[];
  /** The last step whose code was used: the server takes only later ones. */
  lastStep: number;
}

/**
 * The next code the server will take: of the step after the last one used, as long as it is
 * within a step of the server's clock (a fast authenticator); otherwise the clock moves on.
 */
export function nextCode(server: TestServer, enrolled: Enrolled): string {
  const step = Math.max(enrolled.lastStep + 1, stepOf(server.clock.now()) - 1);
  const ahead = step - stepOf(server.clock.now()) - 1;
  if (ahead > 0) server.clock.advance(30 * ahead);
  enrolled.lastStep = step;
  return codeOfStep(enrolled.secret, step);
}

/** The claims of an access token, read without checking it (a client's view). */
export function claimsOf(accessToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as Record<
    string,
    unknown
  >;
}

/** Six digits that are no code of the secret within a step of the server's clock. */
export function wrongCode(server: TestServer, enrolled: Pick<Enrolled, 'secret'>): string {
  const near = [-1, 0, 1].map((s) => authenticatorCode(enrolled.secret, server.clock.now(), s));
  let code = 0;
  while (near.includes(String(code).padStart(6, '0'))) code++;
  return String(code).padStart(6, '0');
}

/** Enrols and confirms TOTP for the holder of `token`; fails the test on any error. */
export async function enrollTotp(server: TestServer, token: string): Promise<Enrolled> {
  const enrolled = await server.gql<{
    enrollTotp: { secret: string; otpauthUri: string; qrSvg: string };
  }>('mutation { enrollTotp { secret otpauthUri qrSvg } }', { token });
  if (!enrolled.data) throw new Error(`enrollTotp failed: ${JSON.stringify(enrolled.errors)}`);
  const { secret } = enrolled.data.enrollTotp;
  const step = stepOf(server.clock.now());
  const confirmed = await server.gql<{ confirmTotp: string[] }>(
    'mutation ($c: String!) { confirmTotp(code: $c) }',
    { token, variables: { c: codeOfStep(secret, step) } },
  );
  if (!confirmed.data) throw new Error(`confirmTotp failed: ${JSON.stringify(confirmed.errors)}`);
  return { ...enrolled.data.enrollTotp, recoveryCodes: confirmed.data.confirmTotp, lastStep: step };
}

/** verifyMfa with `code`, as the raw response. */
export function verifyMfa(server: TestServer, token: string, code: string) {
  return server.gql<{ verifyMfa: TokenPair }>(
    `mutation ($c: String!) { verifyMfa(code: $c) { ${PAIR_FIELDS} } }`,
    { token, variables: { c: code } },
  );
}

/** A pair at aal2 for the holder of `token` (a session at aal1), whose factor is `enrolled`. */
export async function secondFactor(
  server: TestServer,
  token: string,
  enrolled: Enrolled,
): Promise<TokenPair> {
  const res = await verifyMfa(server, token, nextCode(server, enrolled));
  if (!res.data) throw new Error(`verifyMfa failed: ${JSON.stringify(res.errors)}`);
  return res.data.verifyMfa;
}
