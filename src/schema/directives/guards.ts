/**
 * What a field needs, read from its directives and its type's (docs/API.md, "Authorization
 * rules"), and the one function that checks it. The resolver wrapper and the mutation plugin
 * both use this, so a query and a mutation are judged by the same rule.
 */
import { getDirective } from '@graphql-tools/utils';
import type { GraphQLFieldConfig, GraphQLObjectType, GraphQLSchema } from 'graphql';
import type { Principal } from '../../auth/access-tokens';
import { AuthError, Forbidden, Unauthenticated } from '../../auth/errors';
import type { Context } from '../context';
import { hasAnyRole, isRole, type Role } from '../../auth/roles';
import { AUTH, HAS_ROLE, PUBLIC } from './definitions';

/** One guard: a valid token, and when `roles` is set, one of those roles. */
export interface Guard {
  readonly roles?: readonly Role[];
}

export interface FieldRequirement {
  readonly isPublic: boolean;
  /** Every guard must pass: the type's and the field's. Empty means unguarded. */
  readonly guards: readonly Guard[];
}

type Field = GraphQLFieldConfig<unknown, unknown>;

export function fieldRequirement(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  fieldName: string,
  field: Field,
): FieldRequirement {
  const where = `${type.name}.${fieldName}`;
  const guards = [...guardsOf(schema, type, type.name), ...guardsOf(schema, field, where)];
  const isPublic = (getDirective(schema, field, PUBLIC) ?? []).length > 0;
  if (isPublic && guards.length > 0) {
    throw new Error(`${where} is both @public and guarded: choose one`);
  }
  return { isPublic, guards };
}

function guardsOf(schema: GraphQLSchema, node: GraphQLObjectType | Field, where: string): Guard[] {
  const guards: Guard[] = [];
  if ((getDirective(schema, node, AUTH) ?? []).length > 0) guards.push({});
  for (const args of getDirective(schema, node, HAS_ROLE) ?? []) {
    const roles: unknown = args.roles;
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
      throw new Error(`@hasRole on ${where} needs a non-empty list of roles`);
    }
    guards.push({ roles });
  }
  return guards;
}

/**
 * Passes silently or throws Unauthenticated (no usable token) or Forbidden (wrong role).
 * `caller` is the principal or the reason there is none.
 */
export function checkGuards(guards: readonly Guard[], caller: Principal | Unauthenticated): void {
  if (guards.length === 0) return;
  if (caller instanceof Unauthenticated) throw caller;
  for (const guard of guards) {
    if (guard.roles && !hasAnyRole(caller.role, guard.roles)) {
      throw new Forbidden(`Requires role: ${guard.roles.join(' or ')}.`);
    }
  }
}

/** The sentence added to a guarded field's description, for Sandbox docs and codegen. */
export function describeRequirement(guards: readonly Guard[]): string {
  const roles = guards.filter((g) => g.roles).map((g) => g.roles!.join(' or '));
  return roles.length > 0 ? `Requires role: ${roles.join('; and ')}.` : 'Requires authentication.';
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
      : error instanceof AuthError
        ? error.code
        : 'INTERNAL_SERVER_ERROR';
  ctx.onGuardDenied?.(field, reason);
  throw error;
}
