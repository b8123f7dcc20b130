import { Field, InputType } from 'type-graphql';
import { RoleEnum } from './role.enum';

@InputType()
export class CreateUserInput {
  @Field(() => String, {
    description: '3 to 64 characters: letters, digits, and _ . @ -; unique regardless of case.',
  })
  username!: string;

  @Field(() => String, { description: '8 to 256 characters; every character counts.' })
  password!: string;

  @Field(() => RoleEnum, { defaultValue: RoleEnum.USER })
  role!: RoleEnum;
}
