/**
 * The guards as decorators, for an app's type-graphql classes (src/index.ts): thin, typed
 * wrappers over `@Directive`, so the printed SDL shows `@public`, `@auth` and `@hasRole` on the
 * app's fields exactly as on ours, and the same transform enforces them.
 */
import { Directive, Extensions } from 'type-graphql';
import type { Role } from '../auth/roles';
import type { Context } from './context';
import { AUTH, HAS_ROLE, PUBLIC } from './directives/definitions';
import { OWNER_EXTENSION, type OwnerRule } from './directives/owner';

type FieldOrTypeDecorator = MethodDecorator & PropertyDecorator & ClassDecorator;

/** What `Auth` and `HasRole` may ask besides the token and the role. */
export interface GuardOptions {
  /**
   * Only for a session that passed its second factor (verifyMfa: `acr` aal2); otherwise
   * FORBIDDEN with `extensions.reason` MFA_REQUIRED. Default false.
   */
  readonly mfa?: boolean;
}

/** The field needs no token: the explicit opt-out of deny-by-default. */
export function Public(): MethodDecorator & PropertyDecorator {
  return Directive(`@${PUBLIC}`);
}

/**
 * The field, or every field of the type, needs a valid access token: `@Auth()`, or
 * `@Auth({ mfa: true })` for a session that passed its second factor.
 */
export function Auth(options: GuardOptions = {}): FieldOrTypeDecorator {
  return Directive(options.mfa === true ? `@${AUTH}(mfa: true)` : `@${AUTH}`);
}

/**
 * Needs a valid access token whose role is one of `roles`, or above one of them:
 * `@HasRole('ADMIN')`, `@HasRole('EDITOR', 'ADMIN')`, and with options last,
 * `@HasRole('ADMIN', { mfa: true })`.
 */
export function HasRole(...roles: [Role, ...Role[]]): FieldOrTypeDecorator;
export function HasRole(...rolesAndOptions: [Role, ...Role[], GuardOptions]): FieldOrTypeDecorator;
export function HasRole(...args: (Role | GuardOptions)[]): FieldOrTypeDecorator {
  const last = args.at(-1);
  const options: GuardOptions = typeof last === 'object' ? last : {};
  const given = typeof last === 'object' ? args.slice(0, -1) : args;
  const roles = given.filter((arg): arg is Role => typeof arg === 'string');
  if (roles.length === 0 || roles.length !== given.length) {
    throw new Error('HasRole: give one or more role names, then the options if any');
  }
  // The names go into SDL text: only role names, never anything that could close the list.
  const bad = roles.find((role) => !/^[A-Z][A-Z0-9_]*$/.test(role));
  if (bad !== undefined) throw new Error(`HasRole: "${bad}" is not a role name`);
  const mfa = options.mfa === true ? ', mfa: true' : '';
  return Directive(`@${HAS_ROLE}(roles: [${roles.join(', ')}]${mfa})`);
}

/**
 * Only the owner of what the field is about, or a user with one of `orRoles`, may use it
 * (FORBIDDEN otherwise). Goes with `@Auth()` or `@HasRole()`; see directives/owner.ts.
 */
export function Owner<Args = Record<string, unknown>, Ctx extends Context = Context>(
  rule: OwnerRule<Args, Ctx>,
): MethodDecorator & PropertyDecorator {
  return Extensions({ [OWNER_EXTENSION]: rule });
}
