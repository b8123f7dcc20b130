/**
 * Password hashing with bcrypt (docs/API.md, "Passwords").
 *
 * bcrypt reads at most 72 bytes and stops at a NUL byte, so a long passphrase would be
 * silently truncated. We first hash the password with SHA-256 and give bcrypt the base64 of
 * that digest (44 ASCII bytes, no NUL): every character counts, and the bcrypt cost still
 * governs guessing. Hashing runs on worker threads of low priority (bcrypt-workers.ts), off the
 * event loop.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BcryptWorkers } from './bcrypt-workers';
import { BadUserInput } from './errors';
import { checkText } from './input-text';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Throws BadUserInput unless the password has 8 to 256 characters (code points) and no control
 * character or lone surrogate (input-text.ts). Checked when a password is set, never when one is
 * compared: an account whose password predates a rule can still log in.
 */
export function checkPasswordPolicy(password: string): void {
  checkText(password, 'A password');
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new BadUserInput(
      `A password must have ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`,
    );
  }
}

export class PasswordHasher {
  /** Compared against when the username is unknown: see unmatchableHash. */
  private readonly dummyHash: string;

  constructor(
    private readonly cost: number,
    private readonly bcrypt: Pick<
      BcryptWorkers,
      'hash' | 'compare' | 'pending' | 'close'
    > = new BcryptWorkers(),
  ) {
    this.dummyHash = unmatchableHash(cost);
  }

  /** Hashes and checks waiting for or running on a thread (a metric). */
  get pending(): number {
    return this.bcrypt.pending;
  }

  async hash(password: string): Promise<string> {
    checkPasswordPolicy(password);
    return this.bcrypt.hash(prehash(password), this.cost);
  }

  /** True when `password` matches `hash`. */
  async verify(password: string, hash: string): Promise<boolean> {
    return this.bcrypt.compare(prehash(password), hash);
  }

  /**
   * Spend the same work as `verify` and answer false: used for unknown usernames so that the
   * response time does not tell which usernames exist (docs/API.md, "Errors").
   */
  async verifyNothing(password: string): Promise<false> {
    await this.bcrypt.compare(prehash(password), this.dummyHash);
    return false;
  }

  close(): Promise<void> {
    return this.bcrypt.close();
  }
}

/**
 * A bcrypt hash at `cost` that no password matches: a random salt and digest (184 random bits).
 * Comparing against it is exactly the work of a real comparison, and needs no hashing at start.
 */
function unmatchableHash(cost: number): string {
  const digits = Array.from(randomBytes(53), (byte) => BCRYPT_BASE64[byte & 63]).join('');
  return `$2b$${String(cost).padStart(2, '0')}$${digits}`;
}

const BCRYPT_BASE64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}
