import { GraphQLError } from 'graphql';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Auth, Public } from '../decorators';
import { Unauthenticated } from '../../auth/errors';
import type { TokenPair as TokenPairResult } from '../../auth/sessions';
import type { Context } from '../context';
import { TokenPair } from '../types/token-pair.type';

/**
 * Cookie mode (AUTH_COOKIE=true; README, "Use it from a web app"): login and refresh set the
 * refresh token as an HttpOnly cookie and answer `refreshToken: ""`. The contract types it
 * `String!`, so it cannot be left out or null without breaking clients; an empty string is
 * never a valid token, and keeps the token out of page scripts. Without cookie mode the pair is
 * returned unchanged and no cookie is set.
 */
export function deliver(pair: TokenPairResult, ctx: Context): TokenPairResult {
  if (!ctx.refreshCookie) return pair;
  ctx.refreshCookie.set(pair.refreshToken, pair.refreshExpiresIn);
  return { ...pair, refreshToken: '' };
}

/**
 * The refresh token of the request's cookie, when cookie mode is on and the browser sent one.
 *
 * CSRF, defence in depth: a cookie is sent by the browser on its own, so a mutation that uses it
 * must carry `apollo-require-preflight` or `x-apollo-operation-name`, which no cross-site form
 * or simple request can send. (Apollo's csrfPrevention already refuses non-JSON POSTs without
 * them, SameSite=Strict keeps the cookie off cross-site requests, and a cross-site JSON POST
 * needs a CORS preflight; this check holds even if one of those is weakened.)
 * The code is BAD_REQUEST, as in Apollo's own CSRF refusal: the request is malformed for this
 * server (a header is missing), not a matter of the caller's rights (FORBIDDEN), and the fix is
 * the client's.
 */
function refreshTokenFromCookie(ctx: Context): string | undefined {
  const token = ctx.refreshCookie?.read();
  if (token === undefined) return undefined;
  if (!ctx.refreshCookie?.preflighted) {
    throw new GraphQLError(
      'A mutation that uses the refresh_token cookie needs an "apollo-require-preflight: true" (or "x-apollo-operation-name") header.',
      { extensions: { code: 'BAD_REQUEST' } },
    );
  }
  return token;
}

@Resolver()
export class AuthResolver {
  @Public()
  @Mutation(() => TokenPair, {
    description: 'Starts a session: an access token and a refresh token.',
  })
  login(
    @Arg('username', () => String) username: string,
    @Arg('password', () => String) password: string,
    @Ctx() ctx: Context,
  ): Promise<TokenPairResult> {
    return ctx.sessions.login(username, password, ctx.client).then((pair) => deliver(pair, ctx));
  }

  @Public()
  @Mutation(() => TokenPair, {
    description:
      'Trades a refresh token for a new pair; the old refresh token is retired. In cookie mode the argument may be omitted: the refresh_token cookie is used.',
  })
  async refresh(
    // Nullable since cookie mode: loosening an argument breaks no client (docs/API.md has String!).
    @Arg('refreshToken', () => String, { nullable: true }) refreshToken: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<TokenPairResult> {
    const token = refreshToken ?? refreshTokenFromCookie(ctx);
    if (token === undefined) {
      throw new Unauthenticated(
        'TOKEN_MISSING',
        ctx.refreshCookie
          ? 'refresh needs the refreshToken argument or the refresh_token cookie.'
          : 'refresh needs the refreshToken argument.',
      );
    }
    return deliver(await ctx.sessions.refresh(token, ctx.client), ctx);
  }

  @Public()
  @Mutation(() => Boolean, {
    description:
      'Ends the session of the Bearer access token and/or of `refreshToken`; `allSessions` ends every session of that user.',
  })
  async logout(
    @Arg('refreshToken', () => String, { nullable: true }) refreshToken: string | null | undefined,
    @Arg('allSessions', () => Boolean, { defaultValue: false }) allSessions: boolean,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    // In cookie mode the cookie stands in for an absent argument (after the CSRF check).
    const token = refreshToken ?? refreshTokenFromCookie(ctx);
    try {
      await ctx.sessions.logout(ctx.auth.forLogout(), token, allSessions, ctx.client);
    } catch (error) {
      // An unusable token is not worth keeping; a store outage leaves the cookie for a retry.
      if (error instanceof Unauthenticated) ctx.refreshCookie?.clear();
      throw error;
    }
    ctx.refreshCookie?.clear();
    return true;
  }

  @Auth()
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
