/**
 * What a field needs, read from its directives and its type's (docs/API.md, "Authorization
 * rules"), and the one function that checks it. The resolver wrapper and the mutation plugin
 * both use this, so a query and a mutation are judged by the same rule.
 */
import { getDirective } from '@graphql-tools/utils';
import {
  isEnumType,
  type GraphQLFieldConfig,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { Principal } from '../../auth/access-tokens';
import { AuthError, Forbidden, Unauthenticated } from '../../auth/errors';
import type { Context } from '../context';
import { RoleOrder, type Role } from '../../auth/roles';
import { AUTH, HAS_ROLE, PUBLIC } from './definitions';
import { ownerRuleOf, type OwnerRule } from './owner';

/**
 * One guard: a valid token, and when `roles` is set, one of those roles (or a higher one);
 * when `mfa` is set, of a session at aal2 (it passed its second factor).
 */
export interface Guard {
  readonly roles?: readonly Role[];
  /** The schema's role order, which says what "higher" is; set with `roles`. */
  readonly order?: RoleOrder;
  readonly mfa?: boolean;
}

/** What the server's configuration adds to the guards the schema declares. */
export interface GuardPolicy {
  /** MFA_REQUIRED_ROLES: every @hasRole that names one of these demands aal2. */
  readonly mfaRequiredRoles: readonly Role[];
}

export const NO_POLICY: GuardPolicy = { mfaRequiredRoles: [] };

/** The policy each enforced schema was built with (enforce-guards.ts), for later readers. */
const policies = new WeakMap<GraphQLSchema, GuardPolicy>();

export function rememberPolicy(schema: GraphQLSchema, policy: GuardPolicy): void {
  policies.set(schema, policy);
}

export interface FieldRequirement {
  readonly isPublic: boolean;
  /** Every guard must pass: the type's and the field's. Empty means unguarded. */
  readonly guards: readonly Guard[];
  /** "Only its owner, or one of these roles": checked after the guards, with the arguments. */
  readonly owner?: OwnerRule;
}

type Field = GraphQLFieldConfig<unknown, unknown>;

export function fieldRequirement(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  fieldName: string,
  field: Field,
  /** Given while the schema is being enforced; afterwards, the one it was enforced with. */
  policy: GuardPolicy = policies.get(schema) ?? NO_POLICY,
): FieldRequirement {
  const where = `${type.name}.${fieldName}`;
  const guards = [
    ...guardsOf(schema, type, type.name, policy),
    ...guardsOf(schema, field, where, policy),
  ];
  const isPublic = (getDirective(schema, field, PUBLIC) ?? []).length > 0;
  if (isPublic && guards.length > 0) {
    throw new Error(`${where} is both @public and guarded: choose one`);
  }
  const owner = ownerRuleOf(field);
  if (owner) {
    if (guards.length === 0) {
      throw new Error(`${where} has an owner rule but no @auth or @hasRole: add one`);
    }
    const order = roleOrderOf(schema);
    const unknown = owner.orRoles.find((role) => !order.isRole(role));
    if (unknown !== undefined) {
      throw new Error(`The owner rule of ${where} names "${unknown}", which is not a Role`);
    }
  }
  return { isPublic, guards, owner };
}

function guardsOf(
  schema: GraphQLSchema,
  node: GraphQLObjectType | Field,
  where: string,
  policy: GuardPolicy,
): Guard[] {
  const guards: Guard[] = [];
  let auth: ReturnType<typeof getDirective>;
  let hasRole: ReturnType<typeof getDirective>;
  try {
    auth = getDirective(schema, node, AUTH);
    hasRole = getDirective(schema, node, HAS_ROLE);
  } catch (error) {
    // An argument that is not a value of the schema's Role enum, e.g. a role the app forgot.
    throw new Error(`@hasRole on ${where}: ${(error as Error).message}`);
  }
  for (const args of auth ?? []) guards.push({ mfa: args.mfa === true });
  for (const args of hasRole ?? []) {
    const roles: unknown = args.roles;
    const order = roleOrderOf(schema);
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => order.isRole(r))) {
      throw new Error(`@hasRole on ${where} needs a non-empty list of roles`);
    }
    const named = roles.some((role) => policy.mfaRequiredRoles.includes(role));
    guards.push({ roles, order, mfa: args.mfa === true || named });
  }
  return guards;
}

const orders = new WeakMap<GraphQLSchema, RoleOrder>();

/** The schema's `Role` enum is the role order: its values, lowest first (build-schema.ts). */
export function roleOrderOf(schema: GraphQLSchema): RoleOrder {
  let order = orders.get(schema);
  if (!order) {
    const type = schema.getType('Role');
    if (!isEnumType(type)) throw new Error('the schema has no Role enum');
    order = new RoleOrder(type.getValues().map((value) => value.name));
    orders.set(schema, order);
  }
  return order;
}

export const MFA_REQUIRED_MESSAGE =
  'Requires a second factor: verify one with verifyMfa, then use the new access token.';

/**
 * Passes silently or throws Unauthenticated (no usable token) or Forbidden (wrong role; or
 * a session without its second factor, reason MFA_REQUIRED). Roles first: a second factor
 * would not help a caller without the role. `caller` is the principal or the reason there is
 * none.
 */
export function checkGuards(guards: readonly Guard[], caller: Principal | Unauthenticated): void {
  if (guards.length === 0) return;
  if (caller instanceof Unauthenticated) throw caller;
  for (const guard of guards) {
    if (guard.roles && !guard.order!.includesAny(caller.role, guard.roles)) {
      throw new Forbidden(`Requires role: ${guard.roles.join(' or ')}.`);
    }
  }
  if (caller.acr !== 'aal2' && guards.some((guard) => guard.mfa)) {
    throw new Forbidden(MFA_REQUIRED_MESSAGE, { reason: 'MFA_REQUIRED' });
  }
}

/** The sentences added to a guarded field's description, for Sandbox docs and codegen. */
export function describeRequirement(guards: readonly Guard[], owner?: OwnerRule): string {
  const roles = guards.filter((g) => g.roles).map((g) => g.roles!.join(' or '));
  const base =
    roles.length > 0 ? `Requires role: ${roles.join('; and ')}.` : 'Requires authentication.';
  const mfa = guards.some((g) => g.mfa) ? ' Requires a second factor.' : '';
  if (!owner) return `${base}${mfa}`;
  const others =
    owner.orRoles.length > 0 ? `, or a user with role ${owner.orRoles.join(' or ')}` : '';
  return `${base}${mfa} Only its owner${others}.`;
}

/**
 * Checks `guards` for this request's caller; a refusal is reported to the context's
 * `onGuardDenied` (metrics) before it is thrown. Both guard sites call this one function.
 * The caller, its user included, is known after the first guarded field of a request: then
 * this answers at once; before, it returns the promise of the same check.
 */
export function enforceFor(
  guards: readonly Guard[],
  ctx: Context,
  field: string,
): Promise<void> | undefined {
  if (guards.length === 0) return undefined;
  let caller: ReturnType<Context['auth']['resolve']>;
  try {
    caller = ctx.auth.resolve();
  } catch (error) {
    return denied(error, ctx, field);
  }
  if (caller instanceof Promise) {
    return caller.then(
      (known) => enforceKnown(guards, known, ctx, field),
      (error: unknown) => denied(error, ctx, field),
    );
  }
  enforceKnown(guards, caller, ctx, field);
  return undefined;
}

function enforceKnown(
  guards: readonly Guard[],
  caller: Principal | Unauthenticated,
  ctx: Context,
  field: string,
): void {
  try {
    checkGuards(guards, caller);
  } catch (error) {
    denied(error, ctx, field);
  }
}

/** Reports a refusal to `onGuardDenied` (metrics), then throws it. */
function denied(error: unknown, ctx: Context, field: string): never {
  const reason =
    error instanceof Unauthenticated
      ? error.reason
      : error instanceof Forbidden && error.reason !== undefined
        ? error.reason
        : error instanceof AuthError
          ? error.code
          : 'INTERNAL_SERVER_ERROR';
  ctx.onGuardDenied?.(field, reason);
  throw error;
}
