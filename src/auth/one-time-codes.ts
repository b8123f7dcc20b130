/**
 * Codes people receive and bring back once: invites, email verification and password reset
 * links. 256 bits of randomness, base64url; only their SHA-256 is stored (a database leak
 * gives no usable code), and the store hands each out once (store/ports.ts, OneTimeCodeStore).
 * SHA-256 without a salt is enough: a code is random, not a password, so there is nothing to
 * guess from its hash.
 */
import { createHash, randomBytes } from 'node:crypto';

/** 32 bytes in base64url without padding: 43 characters. */
const CODE = /^[A-Za-z0-9_-]{43}$/;

export function issueCode(): { code: string; hash: string } {
  const code = randomBytes(32).toString('base64url');
  return { code, hash: hashCode(code) };
}

export function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('base64url');
}

/** Anything else is no code of ours: refused without a lookup. */
export function isWellFormedCode(code: string): boolean {
  return CODE.test(code);
}
