import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One login on one device, live until it is logged out or expires.' })
export class Session {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { description: 'The last login or refresh of this session.' })
  lastUsedAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'The client address of the last login or refresh (TRUST_PROXY applies).',
  })
  clientAddress!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The User-Agent of the last login or refresh, cut to 160 characters.',
  })
  userAgent!: string | null;

  @Field(() => Boolean, { description: 'Whether this is the session of the Bearer token.' })
  current!: boolean;
}
