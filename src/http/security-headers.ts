/**
 * The headers every answer carries, whichever route it comes from (docs/SECURITY.md): set once
 * by the dispatcher, so that no route can forget them.
 */
import type { ServerResponse } from 'node:http';

export function setSecurityHeaders(
  res: ServerResponse,
  production: boolean,
  cors: Record<string, string>,
): void {
  for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
  if (cors['access-control-allow-origin']) {
    res.setHeader('access-control-expose-headers', 'x-request-id');
  }
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  if (production) {
    res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
    // No Sandbox in production: nothing we serve is a page, so nothing may load or frame it.
    res.setHeader('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  }
}
