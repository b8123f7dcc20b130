import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Auth } from '../decorators';
import type { Context } from '../context';
import { Session } from '../types/session.type';

@Resolver()
export class SessionResolver {
  @Auth()
  @Query(() => [Session], {
    description: "The caller's live sessions, the most recently used first (at most 100).",
  })
  async mySessions(@Ctx() ctx: Context): Promise<Session[]> {
    const principal = ctx.auth.principal();
    const sessions = await ctx.sessions.list(principal);
    return sessions.map((session) => ({
      id: session.id,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      clientAddress: session.clientAddress,
      userAgent: session.userAgent,
      current: session.id === principal.sessionId,
    }));
  }

  @Auth()
  @Mutation(() => Boolean, {
    description:
      "Ends one of the caller's own sessions (an ADMIN: anyone's) on every instance, as logout would.",
  })
  revokeSession(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.sessions.revoke(ctx.auth.principal(), id, ctx.client);
  }
}
