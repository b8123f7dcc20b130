/**
 * The second factor (docs/API.md, "Second factor"): a TOTP authenticator (totp.ts), enrolled,
 * confirmed with a first code, used to raise a session to aal2, and disabled again; and ten
 * single-use recovery codes for a lost authenticator.
 *
 * - Enrolment is pending until confirmed, and only a pending one can be replaced: a session of
 *   the password alone must not swap out a confirmed factor. Disabling needs aal2, the password
 *   and a current code.
 * - A TOTP code is accepted once: the store keeps the last accepted time step and takes a code
 *   only for a later step, in one conditional UPDATE (store/ports.ts, SecondFactorStore).
 * - Every check of a code (and of the password beside one) counts its failures on the account
 *   and the address (rate-limits.ts, `secondFactor`): six digits are quickly guessed otherwise.
 * - The secret is stored sealed (secret-box.ts), recovery codes as SHA-256 hashes: 80 random
 *   bits each, so the hash needs no salt or slow function (as one-time-codes.ts explains).
 */
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import type { Principal } from './access-tokens';
import type { ClientInfo } from './client';
import type { AuthDeps } from './deps';
import { BadUserInput, RateLimited, Unauthenticated } from './errors';
import { checkText } from './input-text';
import { hashCode } from './one-time-codes';
import { RateLimits } from './rate-limits';
import type { SecretBox } from './secret-box';
import type { Sessions, TokenPair } from './sessions';
import { base32Encode, isTotpCode, matchingStep, newTotpSecret, otpauthUri } from './totp';
import type { SecondFactorStore, TotpFactor, UserRecord } from '../store/ports';

export interface TotpEnrollment {
  /** The secret in base32, for typing into an app that cannot scan. */
  readonly secret: string;
  readonly otpauthUri: string;
  /** The otpauth URI as a QR code, an SVG document. */
  readonly qrSvg: string;
}

export interface SecondFactorOptions {
  readonly store: SecondFactorStore;
  /** Seals TOTP secrets (secret-box.ts). */
  readonly box: SecretBox;
  /**
   * The issuer authenticator apps show beside the account: JWT_ISSUER, which names the
   * deployment already (a fixed product name would label every deployment's codes alike).
   */
  readonly issuer: string;
}

export const RECOVERY_CODE_COUNT = 10;
/** 10 bytes are 80 bits, 16 base32 characters, shown in four groups of four. */
const RECOVERY_CODE_BYTES = 10;
const RECOVERY_CODE = /^[A-Z2-7]{16}$/;

const WRONG_CODE = 'The code is wrong, or was used already.';

export class SecondFactors {
  private readonly limits: RateLimits;
  private batch: { ids: Set<string>; enabled: Promise<Set<string>> } | undefined;

  constructor(
    private readonly deps: AuthDeps,
    private readonly sessions: Sessions,
    private readonly options: SecondFactorOptions,
  ) {
    this.limits = new RateLimits(deps.failureCounter, deps.loginLimits, deps.now);
  }

  /**
   * A new secret for the caller, pending until `confirm`; it replaces a pending one. Refused
   * while a confirmed factor exists: disable it first (which needs a second factor).
   */
  async enroll(principal: Principal, client?: ClientInfo): Promise<TotpEnrollment> {
    const user = await this.activeUser(principal);
    const secret = newTotpSecret();
    const sealed = this.options.box.seal(secret, user.id);
    if (!(await this.options.store.savePending(user.id, sealed, new Date(this.deps.now())))) {
      throw new BadUserInput(
        'A second factor is enabled already: disable it (disableTotp) before enrolling another.',
      );
    }
    const encoded = base32Encode(secret);
    const uri = otpauthUri({
      issuer: this.options.issuer,
      account: user.username,
      secret: encoded,
    });
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M' });
    await this.deps.audit.record('TOTP_ENROLLED', {
      userId: user.id,
      sessionId: principal.sessionId,
      client,
    });
    return { secret: encoded, otpauthUri: uri, qrSvg };
  }

  /**
   * Confirms the pending enrolment with a code of its secret, which turns the factor on; the
   * answer is the recovery codes, the only time they are shown. The session stays at its
   * level: verifyMfa raises it (with a later code).
   */
  async confirm(principal: Principal, code: string, client: ClientInfo): Promise<string[]> {
    checkText(code, 'A code');
    const { store } = this.options;
    const userId = principal.userId;
    const factor = await store.find(userId);
    if (!factor || factor.confirmedAt !== null) {
      throw new BadUserInput(
        factor
          ? 'The second factor is confirmed already.'
          : 'No enrolment is pending: call enrollTotp first.',
      );
    }
    // Limited as verify is: a password thief must not guess the code of the user's pending
    // enrolment and walk away with its recovery codes.
    const recoveryCodes = await this.limited(principal, client, async () => {
      const step = matchingStep(this.secretOf(factor), normalized(code), this.deps.now());
      if (step === undefined) return this.refuse(principal, client);
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      const hashes = codes.map((c) => hashCode(normalized(c)));
      // False when raced by another confirmation, or re-enrolled since the read above.
      const confirmed = await store.confirm(
        userId,
        factor.secret,
        step,
        hashes,
        new Date(this.deps.now()),
      );
      return confirmed ? codes : this.refuse(principal, client);
    });
    await this.deps.audit.record('TOTP_CONFIRMED', {
      userId,
      sessionId: principal.sessionId,
      client,
    });
    return recoveryCodes;
  }

  /**
   * A TOTP code or a recovery code raises the caller's session to aal2: a new pair of the same
   * session, whose access token says `acr: "aal2"`, `amr: ["pwd", "otp"]`.
   */
  async verify(principal: Principal, code: string, client: ClientInfo): Promise<TokenPair> {
    checkText(code, 'A code');
    const factor = await this.confirmedFactor(principal.userId);
    const used = await this.limited(
      principal,
      client,
      async () => (await this.useCode(factor, code)) ?? this.refuse(principal, client),
    );
    const pair = await this.sessions.raise(principal, client);
    const event = { userId: principal.userId, sessionId: principal.sessionId, client };
    if (used === 'recovery') await this.deps.audit.record('RECOVERY_CODE_USED', event);
    await this.deps.audit.record('MFA_VERIFIED', event);
    return pair;
  }

  /**
   * Turns the factor off and deletes its recovery codes: needs the password and a current code
   * (TOTP or recovery), besides an aal2 session (the schema's guard).
   */
  async disable(
    principal: Principal,
    password: string,
    code: string,
    client: ClientInfo,
  ): Promise<true> {
    checkText(code, 'A code');
    const user = await this.activeUser(principal);
    const factor = await this.confirmedFactor(user.id);
    const used = await this.limited(principal, client, async () => {
      // Read fresh, as changePassword does: another instance may have changed it.
      const hash = await this.deps.users.passwordHashOf(user.id);
      const passwordOk = hash !== undefined && (await this.deps.hasher.verify(password, hash));
      // The code is spent only with the right password.
      const used = passwordOk ? await this.useCode(factor, code) : undefined;
      return used ?? this.refuse(principal, client, 'The password or the code is wrong.');
    });
    await this.options.store.remove(user.id);
    const event = { userId: user.id, sessionId: principal.sessionId, client };
    if (used === 'recovery') await this.deps.audit.record('RECOVERY_CODE_USED', event);
    await this.deps.audit.record('TOTP_DISABLED', event);
    return true;
  }

  /**
   * Whether the user has a confirmed factor. The lookups asked for in one turn of the event
   * loop (a page of users) are one query.
   */
  isEnabled(userId: string): Promise<boolean> {
    if (!this.batch) {
      const ids = new Set<string>();
      const enabled = Promise.resolve().then(() => {
        this.batch = undefined;
        return this.options.store.confirmedAmong([...ids]);
      });
      this.batch = { ids, enabled };
    }
    this.batch.ids.add(userId);
    return this.batch.enabled.then((found) => found.has(userId));
  }

  /** Spends `code` of `factor`: its TOTP step, or one of its recovery codes. */
  private async useCode(
    factor: TotpFactor,
    code: string,
  ): Promise<'totp' | 'recovery' | undefined> {
    const { store } = this.options;
    const text = normalized(code);
    const now = this.deps.now();
    if (isTotpCode(text)) {
      const step = matchingStep(this.secretOf(factor), text, now);
      return step !== undefined && (await store.useStep(factor.userId, step)) ? 'totp' : undefined;
    }
    if (!RECOVERY_CODE.test(text)) return undefined;
    const used = await store.useRecoveryCode(factor.userId, hashCode(text), new Date(now));
    return used ? 'recovery' : undefined;
  }

  /** Runs a code check under the second factor's limits; a refusal is audited once a window. */
  private async limited<T>(
    principal: Principal,
    client: ClientInfo,
    attempt: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.limits.secondFactor(principal.userId, client, attempt);
    } catch (error) {
      if (error instanceof RateLimited) {
        const windowMs = this.deps.loginLimits.windowSeconds * 1000;
        await this.deps.audit.record('MFA_RATE_LIMITED', {
          userId: principal.userId,
          client,
          aggregateKey: `${error.key ?? 'mfa'}@${Math.floor(this.deps.now() / windowMs)}`,
        });
      }
      throw error;
    }
  }

  /** Audits a wrong code and throws INVALID_CREDENTIALS, which the limits count. */
  private async refuse(
    principal: Principal,
    client: ClientInfo,
    message = WRONG_CODE,
  ): Promise<never> {
    await this.deps.audit.record('MFA_FAILED', {
      userId: principal.userId,
      sessionId: principal.sessionId,
      client,
    });
    throw new Unauthenticated('INVALID_CREDENTIALS', message);
  }

  private async confirmedFactor(userId: string): Promise<TotpFactor> {
    const factor = await this.options.store.find(userId);
    if (!factor || factor.confirmedAt === null) {
      throw new BadUserInput('No second factor is enabled for this account: see enrollTotp.');
    }
    return factor;
  }

  /** An unreadable secret is the operator's problem (a changed key), never the client's. */
  private secretOf(factor: TotpFactor): Buffer {
    try {
      return this.options.box.open(factor.secret, factor.userId);
    } catch (error) {
      throw new Error(
        `The TOTP secret of user ${factor.userId} cannot be read: ${(error as Error).message}`,
      );
    }
  }

  private async activeUser(principal: Principal): Promise<UserRecord> {
    const user = await this.deps.users.findById(principal.userId);
    if (!user?.isActive) throw new Unauthenticated('TOKEN_REVOKED');
    return user;
  }
}

/** What a person types, as we compare it: no spaces or dashes, upper case. */
function normalized(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

/** "ABCD-EFGH-IJKL-MNOP": 80 random bits in base32, grouped for reading aloud or writing down. */
function newRecoveryCode(): string {
  return base32Encode(randomBytes(RECOVERY_CODE_BYTES)).match(/.{4}/g)!.join('-');
}
