/**
 * The one canonical form of a username (docs/SECURITY.md, "One spelling per account"). The
 * unique index, every lookup, the rate-limit keys and the audit log use what this returns, so
 * two spellings of one account can never count apart.
 *
 * Canonical = NFKC, then lowercase, and the result must be in the alphabet new usernames are
 * made of: ASCII letters (lowercase by then), digits and `_ . @ -`, 3 to 64 characters. NFKC
 * folds what keyboards and input methods produce for the same letters (fullwidth ｋａｔｅ, the
 * Kelvin sign K, ligatures such as ﬁ). The alphabet refuses what NFKC leaves alone and no
 * username is made of: other scripts' look-alikes, İ (whose lowercase is i + U+0307 in
 * JavaScript but i in PostgreSQL), combining marks, zero-width and control characters, lone
 * surrogates. Such a name is no one's: login treats it as unknown without asking the database.
 *
 * The lowercase is the application's (`toLowerCase` is locale-independent), never the
 * database's `lower()`, which follows the database's locale.
 */
import type { CanonicalUsername } from '../store/ports';

/** What createUser accepts, as typed: the alphabet, any case. */
const NEW_USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$/;
const CANONICAL = /^[a-z0-9][a-z0-9_.@-]{2,63}$/;
/** No longer input can normalize into 64 characters of the alphabet; it is not normalized. */
const MAX_INPUT = 256;

export const USERNAME_RULE =
  'A username has 3 to 64 characters: letters, digits, and _ . @ - (not first).';

/** The canonical form of `input`, or undefined when no account can have that name. */
export function canonicalUsername(input: string): CanonicalUsername | undefined {
  if (input.length > MAX_INPUT) return undefined;
  const canonical = input.normalize('NFKC').toLowerCase();
  return CANONICAL.test(canonical) ? (canonical as CanonicalUsername) : undefined;
}

/**
 * The canonical form of a new account's name, or undefined when it is not in the alphabet as
 * typed (a new name is not folded: ｋａｔｅ is refused, kate accepted, and ｋａｔｅ then logs in).
 */
export function newUsername(input: string): CanonicalUsername | undefined {
  return NEW_USERNAME.test(input) ? canonicalUsername(input) : undefined;
}
