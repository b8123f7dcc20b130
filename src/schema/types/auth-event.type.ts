import { Field, ID, Int, ObjectType } from 'type-graphql';
import { AUTH_EVENT_TYPES } from '../../auth/audit';

/** "A, B or C": the list in the description follows the auth layer's own. */
const EVENT_TYPES = `${AUTH_EVENT_TYPES.slice(0, -1).join(', ')} or ${AUTH_EVENT_TYPES.at(-1)}.`;

@ObjectType({ description: 'One entry of the audit log.' })
export class AuthEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  at!: Date;

  @Field(() => String, { description: EVENT_TYPES })
  type!: string;

  @Field(() => ID, { nullable: true })
  userId!: string | null;

  @Field(() => ID, { nullable: true })
  sessionId!: string | null;

  @Field(() => String, { nullable: true })
  clientAddress!: string | null;

  @Field(() => String, { nullable: true, description: 'The first 160 characters.' })
  userAgent!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The canonical username a login named, when it is a possible username.',
  })
  username!: string | null;

  @Field(() => Int, {
    description:
      'How many events this entry stands for. Refused logins (LOGIN_RATE_LIMITED) are one entry per limit and LOGIN_FAILURE_WINDOW, with the time, address and user agent of the first.',
  })
  count!: number;
}
