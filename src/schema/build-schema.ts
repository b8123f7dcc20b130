/**
 * type-graphql classes → one GraphQLSchema with the guard directives declared and enforced:
 * the server's own resolvers, and an app's next to them (src/index.ts), with the app's roles.
 * type-graphql keeps its metadata globally, so a schema is built once per definition.
 */
import 'reflect-metadata';
import { mapSchema, MapperKind } from '@graphql-tools/utils';
import { GraphQLSchema, isEnumType } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { RoleOrder } from '../auth/roles';
import { guardDirectives } from './directives/definitions';
import { enforceGuards } from './directives/enforce-guards';
import { NO_POLICY, type GuardPolicy } from './directives/guards';
import { AdminResolver } from './resolvers/admin.resolver';
import { AuditResolver } from './resolvers/audit.resolver';
import { AccountResolver } from './resolvers/account.resolver';
import { AuthResolver } from './resolvers/auth.resolver';
import { MfaResolver } from './resolvers/mfa.resolver';
import { SessionResolver } from './resolvers/session.resolver';
import { SubscriptionResolver } from './resolvers/subscription.resolver';
import { PublicResolver } from './resolvers/public.resolver';
import { UserResolver } from './resolvers/user.resolver';
import { DateTimeScalar } from './types/date-time.scalar';
import { roleEnum } from './types/role.type';

/** A type-graphql resolver class (what `@Resolver()` decorates). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own type
export type ResolverClass = Function;

/** What an app adds to the server's schema; nothing for the standalone server. */
export interface SchemaDefinition {
  readonly resolvers?: readonly ResolverClass[];
  /** The roles, lowest first; USER < ADMIN when not given. */
  readonly roles?: RoleOrder;
}

/**
 * type-graphql requires a PubSub once there is a subscription, but ours all bring their own
 * `subscribe` (their events come from the event bus and the connection, src/store/event-bus.ts).
 */
const NO_PUBSUB: PubSub = {
  publish: () => {
    throw new Error('Subscriptions here publish through the event bus, not a type-graphql PubSub.');
  },
  subscribe: () => {
    throw new Error('A @Subscription here needs its own `subscribe`.');
  },
};

const STANDALONE: SchemaDefinition = {};
const declared = new WeakMap<SchemaDefinition, Promise<GraphQLSchema>>();
/** Per definition, one enforced schema per policy (keyed by its roles). */
const enforced = new WeakMap<SchemaDefinition, Map<string, Promise<GraphQLSchema>>>();

/**
 * The schema served: declared, then enforced with `policy` (MFA_REQUIRED_ROLES), which shows in
 * the descriptions of the fields it touches. `npm run schema` prints it without a policy.
 */
export function buildAuthSchema(
  definition: SchemaDefinition = STANDALONE,
  policy: GuardPolicy = NO_POLICY,
): Promise<GraphQLSchema> {
  let byPolicy = enforced.get(definition);
  if (!byPolicy) enforced.set(definition, (byPolicy = new Map()));
  const key = [...policy.mfaRequiredRoles].sort().join(',');
  let schema = byPolicy.get(key);
  if (!schema) {
    schema = buildDeclaredSchema(definition).then((built) => enforceGuards(built, policy));
    byPolicy.set(key, schema);
  }
  return schema;
}

/** The schema as declared, its guards not enforced yet (tests, and bench's no-auth baseline). */
export function buildDeclaredSchema(
  definition: SchemaDefinition = STANDALONE,
): Promise<GraphQLSchema> {
  let schema = declared.get(definition);
  if (!schema) {
    schema = buildSchema({
      resolvers: [
        PublicResolver,
        AuthResolver,
        AccountResolver,
        SessionResolver,
        UserResolver,
        AdminResolver,
        AuditResolver,
        MfaResolver,
        SubscriptionResolver,
        ...(definition.resolvers ?? []),
      ],
      scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
      validate: false,
      pubSub: NO_PUBSUB,
    }).then((built) => declareGuardDirectives(withRoles(built, definition.roles)));
    declared.set(definition, schema);
  }
  return schema;
}

/** The schema with `Role` holding the values of `roles`, lowest first. */
function withRoles(schema: GraphQLSchema, roles: RoleOrder = RoleOrder.DEFAULT): GraphQLSchema {
  const replacement = roleEnum(roles);
  return mapSchema(schema, {
    [MapperKind.ENUM_TYPE]: (type) => (type.name === 'Role' ? replacement : type),
  });
}

/** Declared after the Role enum is final, so `@hasRole(roles:)` uses that very type. */
export function declareGuardDirectives(schema: GraphQLSchema): GraphQLSchema {
  const role = schema.getType('Role');
  if (!isEnumType(role)) throw new Error('the schema has no Role enum');
  const config = schema.toConfig();
  return new GraphQLSchema({
    ...config,
    directives: [...config.directives, ...guardDirectives(role)],
  });
}
