/**
 * The client's address and the request id: small pure functions over what the socket and the
 * headers say, used by the HTTP layer for rate limits and logs (docs/SECURITY.md).
 */
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * The address of the client as far as we can trust it. `trustedHops` is TRUST_PROXY: how many
 * proxies in front of us append to X-Forwarded-For. The socket's peer is the nearest hop; each
 * trusted proxy vouches for the address one further to the left. Entries left of the trusted
 * ones are whatever the client wrote, so they are never read: a client can neither pick its
 * address nor reset its count by sending a header. An entry that is not an IP address stops
 * the walk at the last trustworthy address.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trustedHops: number,
): string {
  let address = normalizeAddress(socketAddress ?? '') ?? 'unknown';
  if (trustedHops <= 0 || forwardedFor === undefined) return address;
  const hops = (typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor)
    .join(',')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (let i = 0; i < trustedHops && hops.length > 0; i++) {
    const next = normalizeAddress(hops.pop()!);
    if (next === undefined) break;
    address = next;
  }
  return address;
}

/**
 * An IP address in one canonical spelling, or undefined: strips a port ("1.2.3.4:80",
 * "[::1]:80"), an IPv6 zone, and the IPv4-mapped prefix ("::ffff:1.2.3.4" is 1.2.3.4).
 */
export function normalizeAddress(text: string): string | undefined {
  let address = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  address = address.split('%')[0]!;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1]!;
  if (isIP(address) === 0) return undefined;
  return address.toLowerCase();
}

/** What an incoming X-Request-Id may look like to be used as ours: a short, plain token. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The caller's X-Request-Id when it is a sane short token, else a fresh UUID. */
export function requestIdFrom(header: string | readonly string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}
