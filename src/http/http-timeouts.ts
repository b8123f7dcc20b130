/**
 * How long a client may take to send a request (docs/SECURITY.md, "Slow clients").
 *
 * Node's defaults give a request 300 s and its headers 60 s, so a client that trickles a body
 * a byte at a time holds a socket and a request handler for five minutes, and a few hundred
 * such clients hold the server (slowloris). A GraphQL request here is at most 100 KB: 10 s for
 * the headers and 30 s for the whole request leave room for a poor mobile link and none for
 * that.
 */
export const HEADERS_TIMEOUT_SECONDS = 10;
export const REQUEST_TIMEOUT_SECONDS = 30;
/**
 * How long a kept-alive connection may sit idle between requests: node's default, stated. A
 * proxy in front should close idle upstream connections sooner than this.
 */
export const KEEP_ALIVE_TIMEOUT_SECONDS = 5;

export interface HttpTimeouts {
  readonly headersSeconds: number;
  readonly requestSeconds: number;
  readonly keepAliveSeconds: number;
}

export const HTTP_TIMEOUTS: HttpTimeouts = {
  headersSeconds: HEADERS_TIMEOUT_SECONDS,
  requestSeconds: REQUEST_TIMEOUT_SECONDS,
  keepAliveSeconds: KEEP_ALIVE_TIMEOUT_SECONDS,
};

/** The options of node's `http.createServer` for `timeouts` (node counts in milliseconds). */
export function httpTimeoutOptions(timeouts: HttpTimeouts = HTTP_TIMEOUTS) {
  const headersTimeout = timeouts.headersSeconds * 1000;
  return {
    headersTimeout,
    requestTimeout: timeouts.requestSeconds * 1000,
    keepAliveTimeout: timeouts.keepAliveSeconds * 1000,
    // How often node looks for requests past those limits. Its default, 30 s, would let a
    // request run up to 30 s over them.
    connectionsCheckingInterval: Math.min(1000, headersTimeout / 5),
  };
}
