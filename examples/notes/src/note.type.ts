import { Field, ID, ObjectType } from 'type-graphql';
import { User } from 'graphql-jwt-auth';

@ObjectType({ description: 'A note, readable by its author and by admins.' })
export class Note {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String)
  body!: string;

  @Field(() => User)
  author!: User;

  @Field(() => Boolean, { description: 'Set by an editor: the note breaks the rules.' })
  hidden!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  /** Not in the schema: `author` is resolved from it. */
  authorId!: string;
}
