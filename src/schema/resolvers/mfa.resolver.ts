import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { TotpEnrollment as Enrollment } from '../../auth/mfa';
import type { TokenPair as TokenPairResult } from '../../auth/sessions';
import type { Context } from '../context';
import { Auth } from '../decorators';
import { TokenPair } from '../types/token-pair.type';
import { TotpEnrollment } from '../types/totp-enrollment.type';
import { deliver } from './auth.resolver';

/** The second factor (docs/API.md, "Second factor"). */
@Resolver()
export class MfaResolver {
  @Auth()
  @Mutation(() => TotpEnrollment, {
    description:
      'A new TOTP secret, pending until confirmTotp; it replaces a pending one. BAD_USER_INPUT while a confirmed factor exists (disableTotp first).',
  })
  enrollTotp(@Ctx() ctx: Context): Promise<Enrollment> {
    return ctx.secondFactors.enroll(ctx.auth.principal(), ctx.client);
  }

  @Auth()
  @Mutation(() => [String], {
    description:
      'Turns the pending enrolment on with a code of its secret; answers ten single-use recovery codes, shown this once. The session keeps its level: verifyMfa raises it.',
  })
  confirmTotp(@Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<string[]> {
    return ctx.secondFactors.confirm(ctx.auth.principal(), code, ctx.client);
  }

  @Auth()
  @Mutation(() => TokenPair, {
    description:
      'A TOTP code, or a recovery code, raises the session to aal2: a new pair of the same session (acr "aal2", amr ["pwd", "otp"]), which refresh keeps. Each code works once; wrong codes are rate-limited.',
  })
  async verifyMfa(
    @Arg('code', () => String) code: string,
    @Ctx() ctx: Context,
  ): Promise<TokenPairResult> {
    return deliver(await ctx.secondFactors.verify(ctx.auth.principal(), code, ctx.client), ctx);
  }

  @Auth({ mfa: true })
  @Mutation(() => Boolean, {
    description:
      'Turns the second factor off and deletes its recovery codes: needs the password and a current code (TOTP or recovery).',
  })
  disableTotp(
    @Arg('password', () => String) password: string,
    @Arg('code', () => String) code: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.secondFactors.disable(ctx.auth.principal(), password, code, ctx.client);
  }
}
