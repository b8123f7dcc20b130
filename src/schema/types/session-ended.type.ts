import { Field, ID, ObjectType } from 'type-graphql';
import { SESSION_END_REASONS } from '../../auth/sessions';

const REASONS = `${SESSION_END_REASONS.slice(0, -1).join(', ')} or ${SESSION_END_REASONS.at(-1)}.`;

@ObjectType({ description: "The caller's session ended; the socket closes (4401) right after." })
export class SessionEnded {
  @Field(() => ID)
  sessionId!: string;

  @Field(() => String, { description: REASONS })
  reason!: string;
}
