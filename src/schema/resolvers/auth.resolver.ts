import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { TokenPair as TokenPairResult } from '../../auth/sessions';
import type { Context } from '../context';
import { TokenPair } from '../types/token-pair.type';

@Resolver()
export class AuthResolver {
  @Directive('@public')
  @Mutation(() => TokenPair, {
    description: 'Starts a session: an access token and a refresh token.',
  })
  login(
    @Arg('username', () => String) username: string,
    @Arg('password', () => String) password: string,
    @Ctx() ctx: Context,
  ): Promise<TokenPairResult> {
    return ctx.sessions.login(username, password, ctx.client);
  }

  @Directive('@public')
  @Mutation(() => TokenPair, {
    description: 'Trades a refresh token for a new pair; the old refresh token is retired.',
  })
  refresh(
    @Arg('refreshToken', () => String) refreshToken: string,
    @Ctx() ctx: Context,
  ): Promise<TokenPairResult> {
    return ctx.sessions.refresh(refreshToken, ctx.client);
  }

  @Directive('@public')
  @Mutation(() => Boolean, {
    description:
      'Ends the session of the Bearer access token and/or of `refreshToken`; `allSessions` ends every session of that user.',
  })
  logout(
    @Arg('refreshToken', () => String, { nullable: true }) refreshToken: string | null | undefined,
    @Arg('allSessions', () => Boolean, { defaultValue: false }) allSessions: boolean,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.sessions.logout(
      ctx.auth.forLogout(),
      refreshToken ?? undefined,
      allSessions,
      ctx.client,
    );
  }

  @Directive('@auth')
  @Mutation(() => Boolean, { description: 'Needs the current password; ends every other session.' })
  changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.accounts.changePassword(
      ctx.auth.principal(),
      currentPassword,
      newPassword,
      ctx.client,
    );
  }
}
