import { Arg, Ctx, Directive, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { UserRecord } from '../../store/ports';
import type { Context } from '../context';
import { CreateUserInput } from '../types/create-user.input';
import { User } from '../types/user.type';

@Resolver()
export class UserResolver {
  @Directive('@auth')
  @Query(() => User, { description: 'The account of the Bearer token.' })
  me(@Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.accounts.currentUser(ctx.auth.principal());
  }

  @Directive('@hasRole(roles: [ADMIN])')
  @Query(() => [User], { description: 'Every account, oldest first.' })
  users(@Ctx() ctx: Context): Promise<UserRecord[]> {
    return ctx.accounts.listUsers();
  }

  @Directive('@hasRole(roles: [ADMIN])')
  @Mutation(() => User)
  createUser(
    @Arg('input', () => CreateUserInput) input: CreateUserInput,
    @Ctx() ctx: Context,
  ): Promise<UserRecord> {
    return ctx.accounts.createUser(input, ctx.client);
  }

  @Directive('@hasRole(roles: [ADMIN])')
  @Mutation(() => User, { description: 'Deactivating ends every session of the user at once.' })
  setUserActive(
    @Arg('id', () => ID) id: string,
    @Arg('active', () => Boolean) active: boolean,
    @Ctx() ctx: Context,
  ): Promise<UserRecord> {
    return ctx.accounts.setUserActive(id, active, ctx.auth.principal(), ctx.client);
  }
}
