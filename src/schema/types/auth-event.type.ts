import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One entry of the audit log.' })
export class AuthEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  at!: Date;

  @Field(() => String, {
    description:
      'LOGIN_SUCCEEDED, LOGIN_FAILED, LOGIN_RATE_LIMITED, REFRESHED, REFRESH_FAILED, REFRESH_REUSE_DETECTED, LOGGED_OUT, PASSWORD_CHANGED, USER_CREATED, USER_DEACTIVATED, USER_ACTIVATED or SESSIONS_REVOKED.',
  })
  type!: string;

  @Field(() => ID, { nullable: true })
  userId!: string | null;

  @Field(() => ID, { nullable: true })
  sessionId!: string | null;

  @Field(() => String, { nullable: true })
  clientAddress!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;
}
