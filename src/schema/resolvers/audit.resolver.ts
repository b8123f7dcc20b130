import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { HasRole } from '../decorators';
import type { AuthEventRecord } from '../../store/audit-store';
import type { Context } from '../context';
import { AuthEvent } from '../types/auth-event.type';

@Resolver()
export class AuditResolver {
  @HasRole('ADMIN')
  @Query(() => [AuthEvent], {
    description:
      "The audit log, newest first; one user's when userId is given. At most 500 events: a larger limit is treated as 500.",
  })
  authEvents(
    @Arg('userId', () => ID, { nullable: true }) userId: string | null | undefined,
    @Arg('limit', () => Int, { defaultValue: 50 }) limit: number,
    @Ctx() ctx: Context,
  ): Promise<AuthEventRecord[]> {
    return ctx.audit.list({ userId: userId ?? undefined, limit });
  }
}
