/**
 * The ownership rule: "only its owner, or one of these roles, may use this field". Who owns the
 * thing a field reads or deletes is data, known only from the field's arguments, so this is
 * not a directive the guard can judge from the token alone: the app says how to find the owner
 * (`of`), and the guard transform asks it after the field's @auth / @hasRole passed, before the
 * resolver runs. A refusal is FORBIDDEN, like a role's; the field's description says the rule.
 */
import type { GraphQLFieldConfig } from 'graphql';
import { Forbidden } from '../../auth/errors';
import type { Role } from '../../auth/roles';
import type { Context } from '../context';

export interface OwnerRule<Args = Record<string, unknown>, Ctx extends Context = Context> {
  /**
   * The id of the user who owns what the field is about, read from its arguments; undefined or
   * null when there is no such thing (the resolver then answers as for a missing one).
   */
  readonly of: (
    args: Args,
    ctx: Ctx,
  ) => Promise<string | null | undefined> | string | null | undefined;
  /** Roles that may use the field whatever the owner, e.g. ["ADMIN"] (a higher role too). */
  readonly orRoles: readonly Role[];
}

/** Where the rule travels from the decorator to the transform: the field's extensions. */
export const OWNER_EXTENSION = 'ownerRule';

export function ownerRuleOf(field: GraphQLFieldConfig<unknown, unknown>): OwnerRule | undefined {
  const rule: unknown = field.extensions?.[OWNER_EXTENSION];
  return rule === undefined ? undefined : (rule as OwnerRule);
}

/**
 * Passes when the caller owns what `args` name (or it does not exist), or holds one of the
 * rule's roles; throws Forbidden otherwise. Runs after the guards, so the caller is known.
 */
export async function checkOwner(
  rule: OwnerRule,
  args: Record<string, unknown>,
  ctx: Context,
  field: string,
  includesAny: (held: Role, required: readonly Role[]) => boolean,
): Promise<void> {
  const principal = ctx.auth.principal();
  const owner = await rule.of(args, ctx);
  if (owner === undefined || owner === null || owner === principal.userId) return;
  if (rule.orRoles.length > 0 && includesAny(principal.role, rule.orRoles)) return;
  const others = rule.orRoles.length > 0 ? `, or role: ${rule.orRoles.join(' or ')}` : '';
  const refusal = new Forbidden(`Only its owner may use this${others}.`);
  ctx.onGuardDenied?.(field, refusal.code);
  throw refusal;
}
