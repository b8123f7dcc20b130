/**
 * type-graphql classes → one GraphQLSchema with the guard directives declared and enforced.
 * type-graphql keeps its metadata globally, so the schema is built once per process.
 */
import 'reflect-metadata';
import { GraphQLSchema, isEnumType } from 'graphql';
import { buildSchema } from 'type-graphql';
import { guardDirectives } from './directives/definitions';
import { enforceGuards } from './directives/enforce-guards';
import { AdminResolver } from './resolvers/admin.resolver';
import { AuditResolver } from './resolvers/audit.resolver';
import { AuthResolver } from './resolvers/auth.resolver';
import { PublicResolver } from './resolvers/public.resolver';
import { UserResolver } from './resolvers/user.resolver';
import { DateTimeScalar } from './types/date-time.scalar';

let declared: Promise<GraphQLSchema> | undefined;
let enforced: Promise<GraphQLSchema> | undefined;

export function buildAuthSchema(): Promise<GraphQLSchema> {
  enforced ??= buildDeclaredSchema().then(enforceGuards);
  return enforced;
}

/** The schema as the classes declare it: guard directives present, none enforced yet. */
export function buildDeclaredSchema(): Promise<GraphQLSchema> {
  declared ??= buildSchema({
    resolvers: [PublicResolver, AuthResolver, UserResolver, AdminResolver, AuditResolver],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  }).then(declareGuardDirectives);
  return declared;
}

/** Declared after type-graphql has built the Role enum, so `@hasRole(roles:)` uses that very type. */
export function declareGuardDirectives(schema: GraphQLSchema): GraphQLSchema {
  const role = schema.getType('Role');
  if (!isEnumType(role)) throw new Error('the schema has no Role enum');
  const config = schema.toConfig();
  return new GraphQLSchema({
    ...config,
    directives: [...config.directives, ...guardDirectives(role)],
  });
}
