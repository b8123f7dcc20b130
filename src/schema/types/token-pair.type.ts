import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'What login and refresh return.' })
export class TokenPair {
  @Field(() => String, { description: 'Send as "Authorization: Bearer <accessToken>".' })
  accessToken!: string;

  @Field(() => String, {
    description:
      'Opaque; only for refresh and logout, never as a Bearer token. Empty ("") in cookie mode, where it travels in an HttpOnly cookie instead.',
  })
  refreshToken!: string;

  @Field(() => String, { description: 'Always "Bearer".' })
  tokenType!: string;

  @Field(() => Int, { description: 'Seconds until the access token expires.' })
  expiresIn!: number;

  @Field(() => Int, { description: 'Seconds until the refresh token expires.' })
  refreshExpiresIn!: number;
}
