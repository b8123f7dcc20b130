/**
 * The schema transform that makes the guard directives real, and the start-up checks that
 * refuse a schema whose rules would not hold (docs/API.md, "Authorization rules"):
 *   - every guarded field of an object type gets a resolver that checks its guards first;
 *   - deny by default: a root field with none of @public, @auth, @hasRole stops the start;
 *   - a directive applied where no guard enforces it stops the start;
 *   - a field with an ownership rule (owner.ts) asks it after its guards, before its resolver;
 *   - a Subscription field is checked when subscribed to (its `subscribe`: an error for that
 *     subscription only) and again before each event is delivered (its `resolve`), with the
 *     caller read afresh each time (the websocket's caller, src/http/subscriptions.ts), unless
 *     its extensions say GUARD_EACH_EVENT: false (sessionEnded, whose one event is the end).
 * The check runs synchronously inside the resolver chain once the request's caller is known:
 * only the first guarded field of a request waits, for the read of the caller's user.
 */
import { getDirectives, MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  specifiedDirectives,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import type { Context } from '../context';
import { GUARD_DIRECTIVE_NAMES } from './definitions';
import {
  describeRequirement,
  enforceFor,
  fieldRequirement,
  NO_POLICY,
  rememberPolicy,
  roleOrderOf,
  type GuardPolicy,
} from './guards';
import { checkOwner } from './owner';

/** A Subscription field's extension: false skips the per-event check (see the module). */
export const GUARD_EACH_EVENT = 'guardEachEvent';

/** Resolvers that check guards: the proof, at start-up, that every guard is enforced. */
const enforcing = new WeakSet<GraphQLFieldResolver<unknown, Context>>();

/** `policy`: what the configuration adds (MFA_REQUIRED_ROLES); nothing when not given. */
export function enforceGuards(
  schema: GraphQLSchema,
  policy: GuardPolicy = NO_POLICY,
): GraphQLSchema {
  const guarded = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const type = schema.getType(typeName);
      if (!isObjectType(type)) return field;
      const { guards, owner } = fieldRequirement(schema, type, fieldName, field, policy);
      if (guards.length === 0) return field;
      const base = field.resolve ?? defaultFieldResolver;
      const path = `${typeName}.${fieldName}`;
      const order = roleOrderOf(schema);
      const resolve: GraphQLFieldResolver<unknown, Context> = owner
        ? async (source, args, ctx, info) => {
            await checkOwner(owner, args, ctx, path, (held, required) =>
              order.includesAny(held, required),
            );
            return base(source, args, ctx, info);
          }
        : base;
      const checked: GraphQLFieldResolver<unknown, Context> = (source, args, ctx, info) => {
        const pending = enforceFor(guards, ctx, path);
        if (pending === undefined) return resolve(source, args, ctx, info);
        return pending.then(() => resolve(source, args, ctx, info));
      };
      enforcing.add(checked);
      const requirement = describeRequirement(guards, owner);
      const description = field.description
        ? `${field.description}\n\n${requirement}`
        : requirement;
      if (typeName !== schema.getSubscriptionType()?.name) {
        return { ...field, resolve: checked, description };
      }
      // A schema from SDL alone (tests) has none: graphql's default then reads the source.
      const subscribe = field.subscribe ?? defaultFieldResolver;
      const checkedSubscribe: GraphQLFieldResolver<unknown, Context> = (
        source,
        args,
        ctx,
        info,
      ) => {
        const pending = enforceFor(guards, ctx, path);
        if (pending === undefined) return subscribe(source, args, ctx, info);
        return pending.then(() => subscribe(source, args, ctx, info));
      };
      enforcing.add(checkedSubscribe);
      const eachEvent = field.extensions?.[GUARD_EACH_EVENT] !== false;
      return {
        ...field,
        subscribe: checkedSubscribe,
        resolve: eachEvent ? checked : resolve,
        description,
      };
    },
  });
  // The mutation guard (plugins/mutation-guard.ts) reads the requirements from the result.
  rememberPolicy(guarded, policy);
  checkDenyByDefault(guarded);
  checkEveryDirectiveEnforced(guarded);
  return guarded;
}

function checkDenyByDefault(schema: GraphQLSchema): void {
  for (const root of [
    schema.getQueryType(),
    schema.getMutationType(),
    schema.getSubscriptionType(),
  ]) {
    if (!root) continue;
    for (const [name, field] of Object.entries(root.toConfig().fields)) {
      const { isPublic, guards } = fieldRequirement(schema, root, name, field);
      if (!isPublic && guards.length === 0) {
        throw new Error(
          `Deny by default: ${root.name}.${name} has none of @public, @auth, @hasRole. Add one.`,
        );
      }
    }
  }
}

const BUILT_IN = new Set(specifiedDirectives.map((d) => d.name));

function checkEveryDirectiveEnforced(schema: GraphQLSchema): void {
  const refuse = (directive: string, where: string) => {
    throw new Error(`@${directive} is applied on ${where}, but no guard enforces it there.`);
  };
  const allowedOn = (where: string, names: string[], enforced: boolean) => {
    const applied = names.filter((name) => !BUILT_IN.has(name));
    // Name the directive nobody enforces first, not the guard that merely sits beside it.
    const unknown = applied.find((name) => !GUARD_DIRECTIVE_NAMES.has(name));
    if (unknown !== undefined) refuse(unknown, where);
    if (!enforced && applied.length > 0) refuse(applied[0]!, where);
  };
  const names = (node: Parameters<typeof getDirectives>[1]) =>
    getDirectives(schema, node).map((d) => d.name);

  allowedOn('the schema', names(schema), false);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    allowedOn(type.name, names(type), isObjectType(type));
    if (isEnumType(type)) {
      for (const value of type.getValues()) {
        allowedOn(`${type.name}.${value.name}`, names(value), false);
      }
    }
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        const where = `${type.name}.${field.name}`;
        const fieldDirectives = names(field);
        const guardedHere =
          isObjectType(type) &&
          ((field.resolve ? enforcing.has(field.resolve) : false) ||
            (field.subscribe ? enforcing.has(field.subscribe) : false));
        // @public needs no resolver: it is the absence of a guard, checked by deny-by-default.
        const onlyPublic = fieldDirectives.every((n) => n === 'public' || BUILT_IN.has(n));
        allowedOn(where, fieldDirectives, isObjectType(type) && (guardedHere || onlyPublic));
        for (const arg of field.args) allowedOn(`${where}(${arg.name})`, names(arg), false);
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        allowedOn(`${type.name}.${field.name}`, names(field), false);
      }
    }
  }
}
