/**
 * Roles and the one rule that relates them: roles are ordered, and a higher role includes every
 * role below it. The standalone server has USER < ADMIN; an app declares its own order, e.g.
 * USER < EDITOR < ADMIN, and the GraphQL `Role` enum, the token's `role` claim and the stored
 * role all follow it.
 */

/** A role's name, e.g. "EDITOR": one of the names of the server's RoleOrder. */
export type Role = string;

/** The role a new account gets when none is given. Every order has it. */
export const DEFAULT_ROLE = 'USER';
/** The highest role of every order: the server's own admin fields require it. */
export const ADMIN_ROLE = 'ADMIN';

/** A GraphQL enum value, short enough for a token claim and a log line. */
const ROLE_NAME = /^[A-Z][A-Z0-9_]{0,31}$/;

export class RoleOrder {
  /** The standalone server's roles. */
  static readonly DEFAULT = new RoleOrder([DEFAULT_ROLE, ADMIN_ROLE]);

  private readonly rank: ReadonlyMap<Role, number>;

  /** `names`, lowest first; throws an Error saying what is wrong with the list. */
  constructor(readonly names: readonly Role[]) {
    const bad = names.find((name) => !ROLE_NAME.test(name));
    if (bad !== undefined) {
      throw new Error(`Role "${bad}" is not a role name: use A-Z, 0-9 and _, starting with A-Z.`);
    }
    if (new Set(names).size !== names.length) throw new Error('Roles must not repeat.');
    if (!names.includes(DEFAULT_ROLE)) {
      throw new Error(`Roles must include ${DEFAULT_ROLE}, the role of new accounts.`);
    }
    if (names.at(-1) !== ADMIN_ROLE) {
      throw new Error(`Roles are listed lowest first and must end with ${ADMIN_ROLE}.`);
    }
    this.rank = new Map(names.map((name, index) => [name, index]));
  }

  isRole(value: unknown): value is Role {
    return typeof value === 'string' && this.rank.has(value);
  }

  /** Any-of: `held` passes when it is, or is above, one of `required`. */
  includesAny(held: Role, required: readonly Role[]): boolean {
    const rank = this.rank.get(held);
    if (rank === undefined) return false;
    return required.some((role) => (this.rank.get(role) ?? Infinity) <= rank);
  }

  /** "USER < EDITOR < ADMIN", for descriptions. */
  describe(): string {
    return this.names.join(' < ');
  }
}
