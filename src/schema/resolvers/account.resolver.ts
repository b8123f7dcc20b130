import { Arg, Ctx, Int, Mutation, Resolver } from 'type-graphql';
import { Auth, HasRole, Public } from '../decorators';
import type { TokenPair as TokenPairResult } from '../../auth/sessions';
import type { Role } from '../../auth/roles';
import type { Context } from '../context';
import { RoleType } from '../types/role.type';
import { SignUpInput } from '../types/sign-up.input';
import { TokenPair } from '../types/token-pair.type';
import { deliver } from './auth.resolver';

/** Sign-up, invites, email verification and password reset (docs/API.md, "Accounts"). */
@Resolver()
export class AccountResolver {
  @Public()
  @Mutation(() => TokenPair, {
    description:
      'Creates an account and starts its session, when SIGNUP allows (closed: FORBIDDEN).',
  })
  async signUp(
    @Arg('input', () => SignUpInput) input: SignUpInput,
    @Ctx() ctx: Context,
  ): Promise<TokenPairResult> {
    const pair = await ctx.signUp.signUp(
      {
        username: input.username,
        password: input.password,
        email: input.email ?? undefined,
        inviteCode: input.inviteCode ?? undefined,
      },
      ctx.client,
    );
    return deliver(pair, ctx);
  }

  @HasRole('ADMIN')
  @Mutation(() => String, {
    description:
      'A single-use invite code for signUp; its account gets `role`. `expiresIn`: seconds, 60 to 2592000.',
  })
  createInvite(
    @Arg('role', () => RoleType, { defaultValue: 'USER' }) role: Role,
    @Arg('expiresIn', () => Int, { defaultValue: 604_800 }) expiresIn: number,
    @Ctx() ctx: Context,
  ): Promise<string> {
    return ctx.signUp.createInvite(ctx.auth.principal(), role, expiresIn, ctx.client);
  }

  @Auth()
  @Mutation(() => Boolean, {
    description: "Mails a verification link to the caller's address (true if already verified).",
  })
  requestEmailVerification(@Ctx() ctx: Context): Promise<boolean> {
    return ctx.accountMail.requestVerification(ctx.auth.principal(), ctx.client);
  }

  @Public()
  @Mutation(() => Boolean, { description: 'The token of a verification link.' })
  verifyEmail(@Arg('token', () => String) token: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.accountMail.verifyEmail(token, ctx.client);
  }

  @Public()
  @Mutation(() => Boolean, {
    description:
      'Always true: a reset link goes to the address if it is the verified address of an active account.',
  })
  requestPasswordReset(
    @Arg('email', () => String) email: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.accountMail.requestPasswordReset(email, ctx.client);
  }

  @Public()
  @Mutation(() => Boolean, {
    description:
      'The token of a reset link: sets the password and ends every session of the account.',
  })
  resetPassword(
    @Arg('token', () => String) token: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.accountMail.resetPassword(token, newPassword, ctx.client);
  }
}
