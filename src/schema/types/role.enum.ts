import { registerEnumType } from 'type-graphql';

/** The GraphQL face of auth/roles.ts; the values are the same strings. */
export enum RoleEnum {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

registerEnumType(RoleEnum, {
  name: 'Role',
  description: 'What a user may do. ADMIN includes USER.',
});
