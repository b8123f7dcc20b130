/**
 * Cookie mode (AUTH_COOKIE=true, README "Use it from a web app"): the refresh token travels in
 * an HttpOnly cookie that page scripts cannot read, instead of in the response body.
 *
 * The cookie is `refresh_token`, HttpOnly, SameSite=Strict, Path=/graphql (only the API sees it),
 * Max-Age = the refresh token's lifetime, and Secure unless NODE_ENV=development. The `__Host-`
 * prefix would require Path=/, so it is not used. The /graphql route makes one RequestRefreshCookie
 * per request and copies its Set-Cookie onto the HTTP response after Apollo has answered.
 */
import type { RefreshCookie } from '../schema/context';

export const REFRESH_COOKIE_NAME = 'refresh_token';
export const REFRESH_COOKIE_PATH = '/graphql';

/** The value of cookie `name` in a Cookie request header (the first, the most specific path). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals === -1) continue;
    if (part.slice(0, equals).trim() !== name) continue;
    const value = part.slice(equals + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** The Set-Cookie header value for the refresh token; `maxAgeSeconds` 0 deletes it. */
export function refreshCookieHeader(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${REFRESH_COOKIE_NAME}=${value}`,
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    `Path=${REFRESH_COOKIE_PATH}`,
    'HttpOnly',
    ...(secure ? ['Secure'] : []),
    'SameSite=Strict',
  ].join('; ');
}

export class RequestRefreshCookie implements RefreshCookie {
  /** What to send as Set-Cookie, once the resolvers are done; the last call wins. */
  setCookie: string | undefined;

  constructor(
    private readonly cookieHeader: string | undefined,
    readonly preflighted: boolean,
    private readonly secure: boolean,
  ) {}

  read(): string | undefined {
    return readCookie(this.cookieHeader, REFRESH_COOKIE_NAME);
  }

  set(refreshToken: string, maxAgeSeconds: number): void {
    this.setCookie = refreshCookieHeader(refreshToken, maxAgeSeconds, this.secure);
  }

  clear(): void {
    this.setCookie = refreshCookieHeader('', 0, this.secure);
  }
}
