/**
 * Sign-up (docs/API.md, "Accounts"), governed by SIGNUP: `closed` (admins create accounts),
 * `invite` (a code from createInvite, which also sets the role), `open` (anyone; an invite
 * still sets its role). Every call counts on the client address's limit, successful or not,
 * so a script cannot mint accounts or probe names quickly. A new account starts a session,
 * as a login would, and gets a verification mail when it gave an address.
 */
import type { Principal } from './access-tokens';
import type { Accounts } from './accounts';
import type { AccountMail } from './account-mail';
import type { AuthDeps } from './deps';
import { BadUserInput, Forbidden, RateLimited } from './errors';
import { checkText } from './input-text';
import { hashCode, issueCode, isWellFormedCode } from './one-time-codes';
import type { ClientInfo } from './client';
import { addressKey, countAttempt } from './rate-limits';
import { DEFAULT_ROLE, type Role } from './roles';
import type { Sessions, TokenPair } from './sessions';

export interface SignUpInput {
  readonly username: string;
  readonly password: string;
  readonly email?: string;
  readonly inviteCode?: string;
}

/** How long an invite may live at most (createInvite's expiresIn), and at least. */
export const INVITE_TTL_SECONDS = { min: 60, max: 30 * 86_400 };

const INVALID_INVITE = 'This invite code is not valid: it is unknown, used or expired.';

export class SignUp {
  constructor(
    private readonly deps: AuthDeps,
    private readonly accounts: Accounts,
    private readonly sessions: Sessions,
    private readonly mail: AccountMail,
  ) {}

  async signUp(input: SignUpInput, client: ClientInfo): Promise<TokenPair> {
    // Bad text is BAD_USER_INPUT before anything else (docs/API.md, "Text arguments").
    checkText(input.username, 'A username');
    checkText(input.password, 'A password');
    if (input.email !== undefined) checkText(input.email, 'An email address');
    if (input.inviteCode !== undefined) checkText(input.inviteCode, 'An invite code');
    const { signup, signupPerAddress, windowSeconds } = this.deps.accountOptions;
    if (signup === 'closed') {
      throw new Forbidden('Sign-up is closed on this server: ask an admin for an account.');
    }
    if (signup === 'invite' && input.inviteCode === undefined) {
      throw new Forbidden('Sign-up needs an invite code on this server: ask an admin for one.');
    }
    try {
      const key = `signup:address:${addressKey(client.address)}`;
      await countAttempt(
        this.deps.failureCounter,
        key,
        signupPerAddress,
        windowSeconds,
        this.deps.now(),
      );
    } catch (error) {
      if (error instanceof RateLimited) {
        const aggregateKey = `${error.key}@${Math.floor(this.deps.now() / (windowSeconds * 1000))}`;
        await this.deps.audit.record('SIGNUP_REFUSED', { client, aggregateKey });
      }
      throw error;
    }

    // Every check before the invite is spent: a typo in the password must not cost the code.
    const hash = input.inviteCode === undefined ? undefined : this.inviteHash(input.inviteCode);
    const checked = await this.accounts.prepareUser(
      {
        username: input.username,
        password: input.password,
        role: DEFAULT_ROLE,
        email: input.email,
      },
      true,
    );
    let role: Role = DEFAULT_ROLE;
    if (hash !== undefined) {
      const invite = await this.deps.codes.consume(hash, 'INVITE', new Date(this.deps.now()));
      if (!invite) throw new BadUserInput(INVALID_INVITE);
      role = invite.role ?? DEFAULT_ROLE;
    }
    let user;
    try {
      user = await this.accounts.createPrepared({ ...checked, role }, client);
    } catch (error) {
      if (hash !== undefined) await this.deps.codes.release(hash);
      throw error;
    }
    const { pair, sessionId } = await this.sessions.start(user, client);
    await this.deps.audit.record('SIGNED_UP', { userId: user.id, sessionId, client });
    if (user.email !== null && this.deps.accountOptions.mailEnabled) {
      this.deps.background.run('mailing the verification link of a new account', () =>
        this.mail.sendVerification(user, client).then(() => undefined),
      );
    }
    return pair;
  }

  /** A single-use code that lets one person sign up with `role` (SIGNUP=invite or open). */
  async createInvite(
    admin: Principal,
    role: Role,
    expiresInSeconds: number,
    client?: ClientInfo,
  ): Promise<string> {
    this.accounts.checkRole(role);
    const { min, max } = INVITE_TTL_SECONDS;
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < min || expiresInSeconds > max) {
      throw new BadUserInput(`expiresIn must be between ${min} and ${max} seconds.`);
    }
    const now = this.deps.now();
    const { code, hash } = issueCode();
    await this.deps.codes.add({
      hash,
      purpose: 'INVITE',
      role,
      createdBy: admin.userId,
      createdAt: new Date(now),
      expiresAt: new Date(now + expiresInSeconds * 1000),
    });
    await this.deps.audit.record('INVITE_CREATED', { userId: admin.userId, client });
    return code;
  }

  private inviteHash(code: string): string {
    checkText(code, 'An invite code');
    if (!isWellFormedCode(code)) throw new BadUserInput(INVALID_INVITE);
    return hashCode(code);
  }
}
