/**
 * The GraphQL `Role` enum as type-graphql declares it. Its values are the standalone server's;
 * build-schema.ts replaces them with the server's RoleOrder (an app's own roles), so the enum,
 * `@hasRole(roles:)` and the stored role are one list. Fields typed with it hold a Role string.
 */
import { GraphQLEnumType } from 'graphql';
import { registerEnumType } from 'type-graphql';
import type { RoleOrder } from '../../auth/roles';

export const RoleType = { USER: 'USER', ADMIN: 'ADMIN' } as const;

registerEnumType(RoleType, { name: 'Role' });

/** The `Role` enum of `order`, lowest first: the values are the role names themselves. */
export function roleEnum(order: RoleOrder): GraphQLEnumType {
  const [lowest, highest] = order.names;
  const description =
    order.names.length === 2
      ? `What a user may do. ${highest} includes ${lowest}.`
      : `What a user may do: ${order.describe()}. Each role includes those below it.`;
  return new GraphQLEnumType({
    name: 'Role',
    description,
    values: Object.fromEntries(order.names.map((name) => [name, { value: name }])),
  });
}
