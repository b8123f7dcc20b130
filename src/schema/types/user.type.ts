import { Field, ID, ObjectType } from 'type-graphql';
import { RoleEnum } from './role.enum';

@ObjectType({ description: 'An account. The password hash never leaves the server.' })
export class User {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  username!: string;

  @Field(() => RoleEnum)
  role!: RoleEnum;

  @Field(() => Boolean, {
    description: 'False once an admin deactivated the account: it cannot log in.',
  })
  isActive!: boolean;

  @Field(() => Date)
  createdAt!: Date;
}
