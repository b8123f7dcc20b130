import { Field, ID, ObjectType } from 'type-graphql';
import { RoleType } from './role.type';
import type { Role } from '../../auth/roles';

@ObjectType({ description: 'An account. The password hash never leaves the server.' })
export class User {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  username!: string;

  @Field(() => RoleType)
  role!: Role;

  @Field(() => Boolean, {
    description: 'False once an admin deactivated the account: it cannot log in.',
  })
  isActive!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  /** Resolved by UserResolver.email: only its owner and admins see it. */
  email!: string | null;

  @Field(() => Boolean, { description: 'Whether a verification link mailed to `email` came back.' })
  emailVerified!: boolean;
}
