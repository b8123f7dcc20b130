/**
 * Accounts: creating users, (de)activating them, changing passwords, and what admins read.
 * Every change that takes access away ends sessions through Sessions, so no token outlives it.
 */
import type { Principal } from './access-tokens';
import type { ClientInfo } from './client';
import type { AuthDeps } from './deps';
import { BadUserInput, Unauthenticated } from './errors';
import { checkText } from './input-text';
import { checkPasswordPolicy } from './passwords';
import { RoleOrder, type Role } from './roles';
import type { Sessions } from './sessions';
import { canonicalUsername, newUsername, USERNAME_RULE } from './usernames';
import {
  DuplicateEmail,
  DuplicateUsername,
  LastActiveAdmin,
  UnknownCursor,
  type NewUser,
  type UserRecord,
} from '../store/ports';
import { newEmail } from './emails';
import { checkPasswordStrength } from './password-strength';

/** The largest page of `users` (docs/API.md): a bound on what one request can make us read. */
export const MAX_USERS_PAGE = 500;

export interface UserPage {
  readonly first: number;
  readonly after?: string;
  readonly search?: string;
  readonly role?: Role;
  readonly active?: boolean;
}

export class Accounts {
  constructor(
    private readonly deps: AuthDeps,
    private readonly sessions: Sessions,
  ) {}

  /** The server's roles, lowest first. */
  get roles(): RoleOrder {
    return this.deps.accessTokens.roles ?? RoleOrder.DEFAULT;
  }

  /** BadUserInput unless `role` is one of the server's roles. */
  checkRole(role: string): void {
    if (!this.roles.isRole(role)) {
      throw new BadUserInput(`The role must be one of ${this.roles.names.join(', ')}.`);
    }
  }

  /**
   * `chosenByUser`: the user picked the password (sign-up), so it must also not be easy to
   * guess (password-strength.ts). An admin's createUser and the demo users only meet the length
   * rule: the admin hands it over, and the demo passwords are the tutorial's.
   */
  async createUser(
    input: { username: string; password: string; role: Role; email?: string },
    client?: ClientInfo,
    options: { chosenByUser?: boolean } = {},
  ): Promise<UserRecord> {
    return this.createPrepared(
      await this.prepareUser(input, options.chosenByUser ?? false),
      client,
    );
  }

  /** Stores an account that prepareUser checked; BadUserInput when its name or address is taken. */
  async createPrepared(user: NewUser, client?: ClientInfo): Promise<UserRecord> {
    try {
      const created = await this.deps.users.create(user);
      await this.deps.audit.record('USER_CREATED', { userId: created.id, client });
      return created;
    } catch (error) {
      if (error instanceof DuplicateUsername) {
        throw new BadUserInput(`The username "${user.username}" is already taken.`);
      }
      if (error instanceof DuplicateEmail) {
        throw new BadUserInput('An account with this email address exists already.');
      }
      throw error;
    }
  }

  /** Every check of a new account before anything is stored: BadUserInput says which failed. */
  async prepareUser(
    input: { username: string; password: string; role: Role; email?: string },
    chosenByUser: boolean,
  ): Promise<NewUser> {
    checkText(input.username, 'A username');
    this.checkRole(input.role);
    const canonical = newUsername(input.username);
    if (canonical === undefined) throw new BadUserInput(USERNAME_RULE);
    const email = input.email === undefined ? undefined : newEmail(input.email);
    checkPasswordPolicy(input.password);
    if (chosenByUser) {
      await checkPasswordStrength(
        input.password,
        userInputsOf({ username: input.username, email: input.email ?? null }),
      );
    }
    return {
      username: input.username,
      canonicalUsername: canonical,
      passwordHash: await this.deps.hasher.hash(input.password),
      role: input.role,
      ...email,
    };
  }

  /** The principal's own account; a token whose user is gone or deactivated is refused. */
  async currentUser(principal: Principal): Promise<UserRecord> {
    let user = await this.deps.users.findById(principal.userId);
    // A cached record whose role is not the token's is older than the token: another instance
    // changed the role, and the user logged in again since. Read it afresh.
    if (user?.isActive && user.role !== principal.role) {
      user = await this.deps.users.findCurrent(principal.userId);
    }
    if (!user?.isActive) throw new Unauthenticated('TOKEN_REVOKED');
    return user;
  }

  /** Needs the current password again; ends every other session of the user. */
  async changePassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
    client?: ClientInfo,
  ): Promise<true> {
    const user = await this.currentUser(principal);
    checkPasswordPolicy(newPassword);
    await checkPasswordStrength(newPassword, userInputsOf(user));
    // Read fresh: another instance may have changed the password a moment ago.
    const hash = await this.deps.users.passwordHashOf(user.id);
    if (hash === undefined || !(await this.deps.hasher.verify(currentPassword, hash))) {
      throw new Unauthenticated('INVALID_CREDENTIALS', 'The current password is wrong.');
    }
    await this.deps.users.setPasswordHash(user.id, await this.deps.hasher.hash(newPassword));
    await this.sessions.endUserSessions(user.id, 'PASSWORD_CHANGED', principal.sessionId);
    await this.deps.audit.record('PASSWORD_CHANGED', {
      userId: user.id,
      sessionId: principal.sessionId,
      client,
    });
    return true;
  }

  /**
   * Deactivation ends every session of the user at once. `actor` is the admin doing it (who may
   * not deactivate themself), or undefined for an operator at the command line. Nobody may
   * deactivate the last active ADMIN: without one, only the command line could recover.
   */
  async setUserActive(
    userId: string,
    active: boolean,
    actor: Principal | undefined,
    client?: ClientInfo,
  ): Promise<UserRecord> {
    checkText(userId, 'An id');
    if (!active && userId === actor?.userId) {
      throw new BadUserInput('You cannot deactivate your own account.');
    }
    const user = await this.deps.users.setActive(userId, active).catch((error: unknown) => {
      if (error instanceof LastActiveAdmin) {
        throw new BadUserInput(
          'This is the last active admin: activate or create another ADMIN before deactivating it.',
        );
      }
      throw error;
    });
    if (!user) throw new BadUserInput(`No user has the id "${userId}".`);
    if (!active) await this.sessions.endUserSessions(user.id, 'DEACTIVATED');
    const type = active ? 'USER_ACTIVATED' : 'USER_DEACTIVATED';
    await this.deps.audit.record(type, { userId: user.id, client });
    return user;
  }

  /**
   * A new role for a user, effective on their next request on every instance: their tokens
   * carry the old role, so every session of theirs ends (docs/API.md, "Accounts"). Nobody may
   * change their own role, nor take ADMIN from the last active admin.
   */
  async setUserRole(
    userId: string,
    role: Role,
    actor: Principal,
    client?: ClientInfo,
  ): Promise<UserRecord> {
    checkText(userId, 'An id');
    this.checkRole(role);
    if (userId === actor.userId) throw new BadUserInput('You cannot change your own role.');
    // Not through the cache: another instance may have changed the role since it was cached,
    // and a stale "same role" would keep the user's sessions and their role.
    const before = await this.deps.users.findCurrent(userId);
    if (!before) throw new BadUserInput(`No user has the id "${userId}".`);
    if (before.role === role) return before;
    const user = await this.deps.users.setRole(userId, role).catch((error: unknown) => {
      if (error instanceof LastActiveAdmin) {
        throw new BadUserInput(
          'This is the last active admin: make another user ADMIN before changing this role.',
        );
      }
      throw error;
    });
    if (!user) throw new BadUserInput(`No user has the id "${userId}".`);
    await this.sessions.endUserSessions(user.id);
    await this.deps.audit.record('ROLE_CHANGED', { userId: user.id, client });
    return user;
  }

  /** Ends every session of a user (operators: a lost device, a leaked token). */
  async revokeSessions(userId: string): Promise<void> {
    await this.sessions.endUserSessions(userId);
    await this.deps.audit.record('SESSIONS_REVOKED', { userId });
  }

  /** The account with this id (through the user cache); undefined when there is none. */
  async findById(id: string): Promise<UserRecord | undefined> {
    return this.deps.users.findById(id);
  }

  /** Any spelling of the account's name; undefined when it is no one's. */
  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const canonical = canonicalUsername(username);
    return canonical === undefined ? undefined : this.deps.users.findByCanonicalUsername(canonical);
  }

  /** One page of accounts, oldest first; `after` is the last id of the previous page. */
  async listUsers(page: UserPage): Promise<UserRecord[]> {
    if (!Number.isInteger(page.first) || page.first < 1 || page.first > MAX_USERS_PAGE) {
      throw new BadUserInput(`first must be between 1 and ${MAX_USERS_PAGE}.`);
    }
    if (page.search !== undefined) checkText(page.search, 'search');
    if (page.search !== undefined && page.search.length > 64) {
      throw new BadUserInput('search is a username prefix: at most 64 characters.');
    }
    try {
      return await this.deps.users.list(page);
    } catch (error) {
      if (error instanceof UnknownCursor) {
        throw new BadUserInput(
          `after must be the id of a user; no user has the id "${page.after}".`,
        );
      }
      throw error;
    }
  }

  async dashboard(
    admin: Principal,
  ): Promise<{ message: string; userCount: number; activeSessionCount: number }> {
    const user = await this.currentUser(admin);
    const [userCount, activeSessionCount] = await Promise.all([
      this.deps.users.count(),
      this.deps.sessions.countLive(new Date(this.deps.now())),
    ]);
    return {
      message: `Welcome, ${user.username}. Here's the admin dashboard.`,
      userCount,
      activeSessionCount,
    };
  }
}

/** What a password must not be built from: the account's own name and address. */
export function userInputsOf(user: Pick<UserRecord, 'username' | 'email'>): string[] {
  if (user.email === null) return [user.username];
  // zxcvbn matches whole inputs: the address's mailbox name is a word of its own.
  return [user.username, user.email, user.email.split('@')[0]!];
}
