import { Ctx, Query, Resolver } from 'type-graphql';
import { HasRole } from '../decorators';
import type { Context } from '../context';
import { AdminDashboard } from '../types/admin-dashboard.type';

@Resolver()
export class AdminResolver {
  @HasRole('ADMIN')
  @Query(() => AdminDashboard)
  adminDashboard(@Ctx() ctx: Context): Promise<AdminDashboard> {
    return ctx.accounts.dashboard(ctx.auth.principal());
  }
}
