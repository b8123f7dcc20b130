import { Query, Resolver } from 'type-graphql';
import { Public } from '../decorators';

@Resolver()
export class PublicResolver {
  @Public()
  @Query(() => String, { description: 'A greeting anyone may read, with or without a token.' })
  publicMessage(): string {
    return 'Hello! This message is public: no token needed. Log in with the login mutation.';
  }
}
