/**
 * Password hashing with bcrypt (docs/API.md, "Passwords").
 *
 * bcrypt reads at most 72 bytes and stops at a NUL byte, so a long passphrase would be
 * silently truncated. We first hash the password with SHA-256 and give bcrypt the base64 of
 * that digest (44 ASCII bytes, no NUL): every character counts, and the bcrypt cost still
 * governs guessing. The async API runs hashing on libuv's thread pool, off the event loop.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import { BadUserInput } from './errors';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/** Throws BadUserInput unless the password has 8 to 256 characters (code points). */
export function checkPasswordPolicy(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new BadUserInput(
      `A password must have ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`,
    );
  }
}

export class PasswordHasher {
  /** A real hash of a random password, compared against when the username is unknown. */
  private readonly dummyHash: Promise<string>;
  private inFlight = 0;

  constructor(private readonly cost: number) {
    this.dummyHash = bcrypt.hash(prehash(String(Math.random())), cost);
  }

  /** Hashes and checks waiting for or running on the thread pool (a metric). */
  get pending(): number {
    return this.inFlight;
  }

  async hash(password: string): Promise<string> {
    checkPasswordPolicy(password);
    return this.counted(bcrypt.hash(prehash(password), this.cost));
  }

  /** True when `password` matches `hash`. */
  async verify(password: string, hash: string): Promise<boolean> {
    return this.counted(bcrypt.compare(prehash(password), hash));
  }

  /**
   * Spend the same work as `verify` and answer false: used for unknown usernames so that the
   * response time does not tell which usernames exist (docs/API.md, "Errors").
   */
  async verifyNothing(password: string): Promise<false> {
    await this.counted(bcrypt.compare(prehash(password), await this.dummyHash));
    return false;
  }

  private async counted<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work;
    } finally {
      this.inFlight--;
    }
  }
}

function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}
