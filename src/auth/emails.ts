/**
 * Email addresses: optional on an account, unique by their canonical form (docs/API.md,
 * "Accounts"). The canonical form is NFKC, trimmed, lowercase: mail providers treat the local
 * part case-insensitively in practice, and two spellings of one inbox must not be two accounts
 * (one of which could reset the other's password). No provider-specific rules (dots, +tags).
 */
import { BadUserInput } from './errors';
import { checkText } from './input-text';

/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address at most 254. */
const MAX_LENGTH = 254;
/**
 * One @, something before it, a dotted domain after it. No spaces, and none of the characters
 * that make a header list or a quoted name (`,;<>()[]":\`): "a,b@example.com" must not become
 * two recipients. Letters of any script are allowed (RFC 6531 addresses).
 */
const SHAPE = /^[^\s@,;<>()[\]":\\]{1,64}@[^\s@.,;<>()[\]":\\]+(\.[^\s@.,;<>()[\]":\\]+)+$/u;

/** The canonical form, or undefined when `email` is no address. */
export function canonicalEmail(email: string): string | undefined {
  const canonical = email.normalize('NFKC').trim().toLowerCase();
  if (canonical.length > MAX_LENGTH || !SHAPE.test(canonical)) return undefined;
  return canonical;
}

/** An address for a new account: BadUserInput when it is none. */
export function newEmail(email: string): { email: string; canonicalEmail: string } {
  checkText(email, 'An email address');
  const canonical = canonicalEmail(email);
  if (canonical === undefined) {
    throw new BadUserInput('The email address must look like name@example.com.');
  }
  return { email: email.trim(), canonicalEmail: canonical };
}
