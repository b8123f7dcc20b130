/**
 * Email verification and password reset (docs/API.md, "Accounts"), read top to bottom. Both
 * mail a link with a one-time code (one-time-codes.ts) that works once, for a short time
 * (EMAIL_TOKEN_TTL, RESET_TOKEN_TTL), and only the newest of its kind: a new mail retires the
 * codes of older ones. Requests are limited per client address and per account
 * (MAIL_MAX_PER_ADDRESS, MAIL_MAX_PER_ACCOUNT).
 *
 * requestPasswordReset answers `true` at once for any address, after the same checks, and does
 * the rest in the background (background.ts): neither its answer nor its timing says whether an
 * account has the address. Its mail goes only to a verified address of an active account, so a
 * typo at sign-up cannot send someone else's inbox a way into the account.
 */
import { userInputsOf, type Accounts } from './accounts';
import type { Principal } from './access-tokens';
import type { AuthDeps } from './deps';
import { canonicalEmail } from './emails';
import { BadUserInput, RateLimited, ServiceUnavailable } from './errors';
import { checkText } from './input-text';
import { resetMessage, verificationMessage } from './mail';
import { hashCode, issueCode, isWellFormedCode } from './one-time-codes';
import { checkPasswordPolicy } from './passwords';
import { checkPasswordStrength } from './password-strength';
import type { ClientInfo } from './client';
import { addressKey, countAttempt } from './rate-limits';
import type { Sessions } from './sessions';
import type { UserRecord } from '../store/ports';

const INVALID_VERIFICATION =
  'This verification link is not valid: it was used, it expired, or a newer one was sent.';
const INVALID_RESET =
  'This reset link is not valid: it was used, it expired, or a newer one was sent.';
const NO_MAIL = 'This server sends no mail (SMTP_URL is not set); ask an admin.';

export class AccountMail {
  constructor(
    private readonly deps: AuthDeps,
    private readonly accounts: Accounts,
    private readonly sessions: Sessions,
  ) {}

  /** Mails the caller a link that verifies their address; true also when it is verified already. */
  async requestVerification(principal: Principal, client: ClientInfo): Promise<true> {
    const user = await this.accounts.currentUser(principal);
    if (user.email === null) {
      throw new BadUserInput('Your account has no email address to verify.');
    }
    if (user.emailVerified) return true;
    if (!this.deps.accountOptions.mailEnabled) throw new ServiceUnavailable(NO_MAIL);
    await this.limitAddress(client);
    await this.limitAccount(user, client);
    await this.sendVerification(user, client).catch((error: unknown) => {
      throw new ServiceUnavailable('The mail could not be sent; try again later.', {
        cause: error,
      });
    });
    return true;
  }

  /** The code of a verification link: the address it was mailed to is now verified. */
  async verifyEmail(code: string, client?: ClientInfo): Promise<true> {
    checkText(code, 'A token');
    if (!isWellFormedCode(code)) throw new BadUserInput(INVALID_VERIFICATION);
    const used = await this.deps.codes.consume(
      hashCode(code),
      'VERIFY_EMAIL',
      new Date(this.deps.now()),
    );
    // The account's address may have changed since the mail: only the mailed one is verified.
    const user =
      used?.userId && used.email
        ? await this.deps.users.markEmailVerified(used.userId, used.email)
        : undefined;
    if (!user) throw new BadUserInput(INVALID_VERIFICATION);
    await this.deps.audit.record('EMAIL_VERIFIED', { userId: user.id, client });
    return true;
  }

  /** Always true, at once: the lookup and the mail happen afterwards (see the top). */
  async requestPasswordReset(email: string, client: ClientInfo): Promise<true> {
    checkText(email, 'An email address');
    const canonical = canonicalEmail(email);
    if (canonical === undefined) {
      throw new BadUserInput('The email address must look like name@example.com.');
    }
    if (!this.deps.accountOptions.mailEnabled) throw new ServiceUnavailable(NO_MAIL);
    await this.limitAddress(client);
    await this.deps.audit.record('PASSWORD_RESET_REQUESTED', { client });
    this.deps.background.run('mailing a password reset link', () =>
      this.sendReset(canonical, client),
    );
    return true;
  }

  /** Sets the password of the link's account and ends every session of it. */
  async resetPassword(code: string, newPassword: string, client?: ClientInfo): Promise<true> {
    checkText(code, 'A token');
    if (!isWellFormedCode(code)) throw new BadUserInput(INVALID_RESET);
    checkPasswordPolicy(newPassword);
    const hash = hashCode(code);
    const used = await this.deps.codes.consume(hash, 'RESET_PASSWORD', new Date(this.deps.now()));
    const user = used?.userId ? await this.deps.users.findCurrent(used.userId) : undefined;
    if (!user?.isActive) throw new BadUserInput(INVALID_RESET);
    try {
      await checkPasswordStrength(newPassword, userInputsOf(user));
    } catch (error) {
      await this.deps.codes.release(hash); // a weak choice must not cost the link
      throw error;
    }
    await this.deps.users.setPasswordHash(user.id, await this.deps.hasher.hash(newPassword));
    await this.deps.codes.retire(user.id, 'RESET_PASSWORD');
    await this.sessions.endUserSessions(user.id, 'PASSWORD_CHANGED');
    await this.deps.audit.record('PASSWORD_RESET', { userId: user.id, client });
    return true;
  }

  /** Mails `user` a new verification link; the links mailed before stop working. */
  async sendVerification(user: UserRecord, client?: ClientInfo): Promise<void> {
    const { emailTokenTtlSeconds, publicUrl } = this.deps.accountOptions;
    const canonical = user.email === null ? undefined : canonicalEmail(user.email);
    if (user.email === null || canonical === undefined) return;
    const code = await this.issue(user, 'VERIFY_EMAIL', emailTokenTtlSeconds, canonical);
    const link = `${publicUrl}/verify-email?token=${code}`;
    await this.deps.mailer.send(verificationMessage(user.email, link, emailTokenTtlSeconds));
    await this.deps.audit.record('EMAIL_VERIFICATION_SENT', { userId: user.id, client });
  }

  private async sendReset(canonical: string, client: ClientInfo): Promise<void> {
    const user = await this.deps.users.findByCanonicalEmail(canonical);
    if (!user?.isActive || !user.emailVerified || user.email === null) return;
    try {
      await this.limitAccount(user, client);
    } catch (error) {
      if (error instanceof RateLimited) return; // recorded; the answer was given already
      throw error;
    }
    const { resetTokenTtlSeconds, publicUrl } = this.deps.accountOptions;
    const code = await this.issue(user, 'RESET_PASSWORD', resetTokenTtlSeconds);
    const link = `${publicUrl}/reset-password?token=${code}`;
    await this.deps.mailer.send(resetMessage(user.email, link, resetTokenTtlSeconds));
    await this.deps.audit.record('PASSWORD_RESET_SENT', { userId: user.id, client });
  }

  private async issue(
    user: UserRecord,
    purpose: 'VERIFY_EMAIL' | 'RESET_PASSWORD',
    ttlSeconds: number,
    email?: string,
  ): Promise<string> {
    const now = this.deps.now();
    const { code, hash } = issueCode();
    await this.deps.codes.replace({
      hash,
      purpose,
      userId: user.id,
      email,
      createdAt: new Date(now),
      expiresAt: new Date(now + ttlSeconds * 1000),
    });
    return code;
  }

  private async limitAddress(client: ClientInfo): Promise<void> {
    const { mailPerAddress, windowSeconds } = this.deps.accountOptions;
    const key = `mail:address:${addressKey(client.address)}`;
    await this.limited(client, undefined, () =>
      countAttempt(this.deps.failureCounter, key, mailPerAddress, windowSeconds, this.deps.now()),
    );
  }

  private async limitAccount(user: UserRecord, client: ClientInfo): Promise<void> {
    const { mailPerAccount, windowSeconds } = this.deps.accountOptions;
    const key = `mail:user:${user.id}`;
    await this.limited(client, user.id, () =>
      countAttempt(this.deps.failureCounter, key, mailPerAccount, windowSeconds, this.deps.now()),
    );
  }

  /** One audit row per limit key and window, as for logins (sessions.ts, refusalKey). */
  private async limited(
    client: ClientInfo,
    userId: string | undefined,
    check: () => Promise<void>,
  ): Promise<void> {
    try {
      await check();
    } catch (error) {
      if (error instanceof RateLimited) {
        const windowMs = this.deps.accountOptions.windowSeconds * 1000;
        const aggregateKey = `${error.key}@${Math.floor(this.deps.now() / windowMs)}`;
        await this.deps.audit.record('MAIL_RATE_LIMITED', { userId, client, aggregateKey });
      }
      throw error;
    }
  }
}
