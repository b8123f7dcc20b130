import { Ctx, Directive, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { AdminDashboard } from '../types/admin-dashboard.type';

@Resolver()
export class AdminResolver {
  @Directive('@hasRole(roles: [ADMIN])')
  @Query(() => AdminDashboard)
  adminDashboard(@Ctx() ctx: Context): Promise<AdminDashboard> {
    return ctx.accounts.dashboard(ctx.auth.principal());
  }
}
