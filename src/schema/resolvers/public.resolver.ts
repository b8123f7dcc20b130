import { Directive, Query, Resolver } from 'type-graphql';

@Resolver()
export class PublicResolver {
  @Directive('@public')
  @Query(() => String, { description: 'A greeting anyone may read, with or without a token.' })
  publicMessage(): string {
    return 'Hello! This message is public: no token needed. Log in with the login mutation.';
  }
}
