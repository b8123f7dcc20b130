import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ADMIN_ROLE } from '../../auth/roles';
import { Unauthenticated } from '../../auth/errors';
import { Auth, HasRole } from '../decorators';
import type { UserRecord } from '../../store/ports';
import type { Context } from '../context';
import { CreateUserInput } from '../types/create-user.input';
import { RoleType } from '../types/role.type';
import type { Role } from '../../auth/roles';
import { User } from '../types/user.type';

@Resolver(() => User)
export class UserResolver {
  /**
   * An address is personal: any field that returns a User (an app's `author`, say) would
   * otherwise show it to every caller. Only the account itself and admins see it; to anyone
   * else it is null.
   */
  @FieldResolver(() => String, {
    nullable: true,
    description: 'Only the account itself and admins see it; null for anyone else, or when unset.',
  })
  async email(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<string | null> {
    if (user.email === null) return null;
    const caller = await ctx.auth.resolve();
    if (caller instanceof Unauthenticated) return null;
    const admin = ctx.accounts.roles.includesAny(caller.role, [ADMIN_ROLE]);
    return caller.userId === user.id || admin ? user.email : null;
  }

  /** Like email: whether an account has a second factor is for it and admins to know. */
  @FieldResolver(() => Boolean, {
    description:
      'Whether the account has a confirmed second factor (TOTP). Only the account itself and admins see it; false for anyone else.',
  })
  async mfaEnabled(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<boolean> {
    const caller = await ctx.auth.resolve();
    if (caller instanceof Unauthenticated) return false;
    const admin = ctx.accounts.roles.includesAny(caller.role, [ADMIN_ROLE]);
    if (caller.userId !== user.id && !admin) return false;
    return ctx.secondFactors.isEnabled(user.id);
  }

  @Auth()
  @Query(() => User, { description: 'The account of the Bearer token.' })
  me(@Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.accounts.currentUser(ctx.auth.principal());
  }

  @HasRole('ADMIN')
  @Query(() => [User], {
    description:
      'Accounts, oldest first (then by id), one page at a time: pass the last id of a page as `after` to get the next. The filters combine.',
  })
  users(
    @Arg('first', () => Int, { defaultValue: 100, description: 'Page size: 1 to 500.' })
    first: number,
    @Arg('after', () => ID, {
      nullable: true,
      description: 'The last id of the previous page; the page starts after that user.',
    })
    after: string | null | undefined,
    @Arg('search', () => String, {
      nullable: true,
      description: 'Only usernames that start with this, ignoring case.',
    })
    search: string | null | undefined,
    @Arg('role', () => RoleType, {
      nullable: true,
      description: 'Only users with exactly this role.',
    })
    role: Role | null | undefined,
    @Arg('active', () => Boolean, {
      nullable: true,
      description: 'Only active (true) or only deactivated (false) users.',
    })
    active: boolean | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<UserRecord[]> {
    return ctx.accounts.listUsers({
      first,
      after: after ?? undefined,
      search: search ?? undefined,
      role: role ?? undefined,
      active: active ?? undefined,
    });
  }

  @HasRole('ADMIN')
  @Mutation(() => User)
  createUser(
    @Arg('input', () => CreateUserInput) input: CreateUserInput,
    @Ctx() ctx: Context,
  ): Promise<UserRecord> {
    const { username, password, role, email } = input;
    return ctx.accounts.createUser(
      { username, password, role, email: email ?? undefined },
      ctx.client,
    );
  }

  @HasRole('ADMIN')
  @Mutation(() => User, {
    description:
      "Ends every session of the user: their tokens carry the old role. Not one's own role, nor ADMIN of the last active admin.",
  })
  setUserRole(
    @Arg('id', () => ID) id: string,
    @Arg('role', () => RoleType) role: Role,
    @Ctx() ctx: Context,
  ): Promise<UserRecord> {
    return ctx.accounts.setUserRole(id, role, ctx.auth.principal(), ctx.client);
  }

  @HasRole('ADMIN')
  @Mutation(() => User, { description: 'Deactivating ends every session of the user at once.' })
  setUserActive(
    @Arg('id', () => ID) id: string,
    @Arg('active', () => Boolean) active: boolean,
    @Ctx() ctx: Context,
  ): Promise<UserRecord> {
    return ctx.accounts.setUserActive(id, active, ctx.auth.principal(), ctx.client);
  }
}
