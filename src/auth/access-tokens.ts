/**
 * Access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`), checked as RFC 8725 asks.
 *
 * Verification runs in a fixed order, and every failure is an Unauthenticated error:
 *   1. shape: size, three base64url parts, a JSON header;
 *   2. header: `alg` is the one configured algorithm (never `none`, never a key-type switch),
 *      `typ` is at+jwt, no `crit` extension we would have to understand;
 *   3. signature, with the key of ours that the header's `kid` names (keys rotate);
 *   4. claims: iss, aud, exp (required), nbf, and the shape of sub, sid, jti, role, acr, amr.
 * A forged token never learns whether it is expired: the signature is checked before the claims.
 */
import {
  randomUUID,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Unauthenticated } from './errors';
import type { SigningKeys } from './keys';
import { RoleOrder, type Role } from './roles';
import type { AssuranceLevel } from '../store/ports';

export type { AssuranceLevel };

/** Who a valid access token speaks for. */
export interface Principal {
  readonly userId: string;
  readonly role: Role;
  readonly sessionId: string;
  readonly tokenId: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
  /** `acr`: 'aal2' when the session passed a second factor (verifyMfa), else 'aal1'. */
  readonly acr: AssuranceLevel;
  /** `amr` (RFC 8176): how the session authenticated, `["pwd"]` or `["pwd", "otp"]`. */
  readonly amr: readonly string[];
}

/** The `amr` of each level (RFC 8176 §2): a password, then a one-time password as well. */
export const AUTHENTICATION_METHODS: Readonly<Record<AssuranceLevel, readonly string[]>> = {
  aal1: ['pwd'],
  aal2: ['pwd', 'otp'],
};

export interface AccessTokenOptions {
  readonly keys: SigningKeys;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
  /** The roles a `role` claim may name; USER and ADMIN when not given. */
  readonly roles?: RoleOrder;
}

/** Clock skew allowed between instances, for exp and nbf (RFC 7519 §4.1.4 "some small leeway"). */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * How long an access token issued now can still be accepted: its TTL, plus the tolerance
 * checkClaims grants past `exp`. What must outlast the token is kept at least this long: the
 * revocation of its session, and the ended session a revocation list reloads it from.
 */
export function accessTokenLifetimeSeconds(ttlSeconds: number): number {
  return ttlSeconds + CLOCK_TOLERANCE_SECONDS;
}

/** Far above any token we issue (~400 bytes); stops work on absurd input before any parsing. */
const MAX_TOKEN_LENGTH = 4096;
const ACCESS_TOKEN_TYPE = 'at+jwt';

export function signAccessToken(
  options: AccessTokenOptions,
  subject: { userId: string; role: Role; sessionId: string; level: AssuranceLevel },
  nowSeconds: number,
): { token: string; tokenId: string; expiresAt: number } {
  const tokenId = randomUUID();
  const expiresAt = nowSeconds + options.ttlSeconds;
  const payload = {
    iss: options.issuer,
    aud: options.audience,
    sub: subject.userId,
    role: subject.role,
    iat: nowSeconds,
    exp: expiresAt,
    jti: tokenId,
    sid: subject.sessionId,
    amr: AUTHENTICATION_METHODS[subject.level],
    acr: subject.level,
  };
  const signer = options.keys.signer();
  const header = { alg: signer.algorithm, typ: ACCESS_TOKEN_TYPE, kid: signer.kid };
  const token =
    signer.algorithm === 'EdDSA'
      ? signEdDsa(header, payload, signer.signingKey)
      : jwt.sign(payload, signer.signingKey, {
          algorithm: signer.algorithm,
          header: header as jwt.JwtHeader,
        });
  return { token, tokenId, expiresAt };
}

export function verifyAccessToken(
  options: AccessTokenOptions,
  token: string,
  nowSeconds: number,
): Principal {
  // 1. shape
  if (token.length > MAX_TOKEN_LENGTH) throw new Unauthenticated('TOKEN_INVALID');
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    throw new Unauthenticated('TOKEN_INVALID');
  }
  const header = parseJsonObject(parts[0]!);

  // 2. header (RFC 8725 §3.1: the algorithm is ours to choose, not the token's)
  if (header.alg !== options.keys.algorithm) throw new Unauthenticated('TOKEN_INVALID');
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : '';
  if (typ !== ACCESS_TOKEN_TYPE && typ !== `application/${ACCESS_TOKEN_TYPE}`) {
    throw new Unauthenticated('TOKEN_INVALID');
  }
  if ('crit' in header) throw new Unauthenticated('TOKEN_INVALID'); // RFC 7515 §4.1.11

  // 3. signature, with the key the header's kid names: one of ours, looked up, never fetched
  const key = options.keys.verificationKeyFor(header.kid);
  if (key === undefined) throw new Unauthenticated('TOKEN_INVALID');
  const payload = checkSignature(options.keys.algorithm, key, token, parts);

  // 4. claims, with one "now" and one tolerance
  return checkClaims(options, payload, nowSeconds);
}

function checkSignature(
  algorithm: SigningKeys['algorithm'],
  key: KeyObject,
  token: string,
  parts: string[],
): Record<string, unknown> {
  if (algorithm === 'EdDSA') {
    const valid = cryptoVerify(
      null,
      Buffer.from(`${parts[0]}.${parts[1]}`),
      key,
      Buffer.from(parts[2]!, 'base64url'),
    );
    if (!valid) throw new Unauthenticated('TOKEN_INVALID');
    return parseJsonObject(parts[1]!);
  }
  try {
    // Time claims are checked below, against the same clock as everything else.
    const payload = jwt.verify(token, key, {
      algorithms: [algorithm],
      ignoreExpiration: true,
      ignoreNotBefore: true,
    });
    if (typeof payload !== 'object' || payload === null) throw new Unauthenticated('TOKEN_INVALID');
    return payload as Record<string, unknown>;
  } catch (error) {
    if (error instanceof Unauthenticated) throw error;
    throw new Unauthenticated('TOKEN_INVALID');
  }
}

function checkClaims(
  options: AccessTokenOptions,
  claims: Record<string, unknown>,
  now: number,
): Principal {
  const { iss, aud, exp, nbf, sub, sid, jti, role } = claims;
  if (iss !== options.issuer) throw new Unauthenticated('TOKEN_INVALID');
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(options.audience)) throw new Unauthenticated('TOKEN_INVALID');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new Unauthenticated('TOKEN_INVALID');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) {
    throw new Unauthenticated('TOKEN_INVALID');
  }
  if (
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    typeof jti !== 'string' ||
    !(options.roles ?? RoleOrder.DEFAULT).isRole(role)
  ) {
    throw new Unauthenticated('TOKEN_INVALID');
  }
  if (typeof nbf === 'number' && nbf > now + CLOCK_TOLERANCE_SECONDS) {
    throw new Unauthenticated('TOKEN_INVALID', 'The token is not valid yet.');
  }
  if (exp <= now - CLOCK_TOLERANCE_SECONDS) throw new Unauthenticated('TOKEN_EXPIRED');
  const acr = assuranceOf(claims.acr);
  const amr = methodsOf(claims.amr, acr);
  return { userId: sub, role, sessionId: sid, tokenId: jti, expiresAt: exp, acr, amr };
}

/**
 * Every token we issue has `acr`; one issued before it existed (a rolling deploy) has not, and
 * proved a password only: aal1. Any other value is no token of ours.
 */
function assuranceOf(acr: unknown): AssuranceLevel {
  if (acr === undefined) return 'aal1';
  if (acr === 'aal1' || acr === 'aal2') return acr;
  throw new Unauthenticated('TOKEN_INVALID');
}

/** `amr` as signed, or what the level implies when it is missing (tokens from before it). */
function methodsOf(amr: unknown, acr: AssuranceLevel): readonly string[] {
  if (amr === undefined) return AUTHENTICATION_METHODS[acr];
  if (!Array.isArray(amr) || !amr.every((method) => typeof method === 'string')) {
    throw new Unauthenticated('TOKEN_INVALID');
  }
  return amr as string[];
}

function parseJsonObject(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new Unauthenticated('TOKEN_INVALID');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Unauthenticated('TOKEN_INVALID');
  }
  return value as Record<string, unknown>;
}

/** jsonwebtoken 9 has no EdDSA: a compact JWS (RFC 7515 §7.1) signed with Ed25519 (RFC 8037). */
function signEdDsa(header: object, payload: object, signingKey: KeyObject): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${cryptoSign(null, Buffer.from(input), signingKey).toString('base64url')}`;
}
