import { Field, InputType } from 'type-graphql';
import { RoleType } from './role.type';
import { DEFAULT_ROLE, type Role } from '../../auth/roles';

@InputType()
export class CreateUserInput {
  @Field(() => String, {
    description: '3 to 64 characters: letters, digits, and _ . @ -; unique regardless of case.',
  })
  username!: string;

  @Field(() => String, { description: '8 to 256 characters; every character counts.' })
  password!: string;

  @Field(() => RoleType, { defaultValue: DEFAULT_ROLE })
  role!: Role;

  @Field(() => String, {
    nullable: true,
    description: 'Optional; unverified until its owner uses requestEmailVerification.',
  })
  email?: string | null;
}
