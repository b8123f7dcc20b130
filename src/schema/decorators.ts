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

/** The field needs no token: the explicit opt-out of deny-by-default. */
export function Public(): MethodDecorator & PropertyDecorator {
  return Directive(`@${PUBLIC}`);
}

/** The field, or every field of the type, needs a valid access token. */
export function Auth(): FieldOrTypeDecorator {
  return Directive(`@${AUTH}`);
}

/** Needs a valid access token whose role is one of `roles`, or above one of them. */
export function HasRole(...roles: [Role, ...Role[]]): FieldOrTypeDecorator {
  // The names go into SDL text: only role names, never anything that could close the list.
  const bad = roles.find((role) => !/^[A-Z][A-Z0-9_]*$/.test(role));
  if (bad !== undefined) throw new Error(`HasRole: "${bad}" is not a role name`);
  return Directive(`@${HAS_ROLE}(roles: [${roles.join(', ')}])`);
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
