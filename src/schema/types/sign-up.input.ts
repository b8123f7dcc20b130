import { Field, InputType } from 'type-graphql';

@InputType({ description: 'A new account of its own user (SIGNUP says who may).' })
export class SignUpInput {
  @Field(() => String)
  username!: string;

  @Field(() => String, {
    description: '8 to 256 characters, and not one of the common or breached passwords.',
  })
  password!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Optional; a verification link is mailed to it. One account per address.',
  })
  email?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'From createInvite: required with SIGNUP=invite; it sets the role.',
  })
  inviteCode?: string | null;
}
