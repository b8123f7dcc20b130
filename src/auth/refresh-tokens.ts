/**
 * Refresh tokens: opaque random strings, 256 bits, stored only as a SHA-256 hash.
 *
 * A plain hash suffices (no salt, no bcrypt): the token has full entropy, so there is nothing
 * to brute-force, and the hash doubles as the lookup key, so no secret is ever compared in
 * application code.
 */
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32;
/** base64url of 32 bytes. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedRefreshToken {
  readonly token: string;
  readonly hash: string;
  readonly expiresAt: Date;
}

export function issueRefreshToken(nowMs: number, ttlSeconds: number): IssuedRefreshToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashRefreshToken(token), expiresAt: new Date(nowMs + ttlSeconds * 1000) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Rejects what cannot be one of ours (a JWT, garbage, 100 KB) before any database work. */
export function isWellFormedRefreshToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}
