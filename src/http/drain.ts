/**
 * Shutdown without cutting anyone off: a login that is running must finish before the database
 * closes, even when its client has gone; a client that sends nothing must not hold us up.
 */
import type { Server as HttpServer } from 'node:http';
import { withTimeout } from './with-timeout';

/** How long shutdown waits for the requests still running. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Stops accepting connections, lets the requests being handled finish (up to `graceMs`, also
 * those whose client went away and those that arrive on a kept-alive connection meanwhile),
 * then closes every connection. Answers sent while closing say `connection: close`.
 */
export async function drain(
  httpServer: HttpServer,
  inFlight: ReadonlySet<Promise<void>>,
  graceMs: number,
): Promise<void> {
  const deadline = Date.now() + graceMs;
  const closed = new Promise((resolve) => httpServer.close(resolve));
  httpServer.closeIdleConnections();
  while (inFlight.size > 0 && Date.now() < deadline) {
    await withTimeout(Promise.all(inFlight), deadline - Date.now()).catch(() => undefined);
  }
  httpServer.closeIdleConnections();
  // A connection still open now has a request past the grace period, or a client that sends
  // nothing: neither gets more time.
  await withTimeout(closed, 100).catch(() => httpServer.closeAllConnections());
}
