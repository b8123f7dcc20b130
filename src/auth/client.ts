/**
 * Who is asking, as the transport tells (src/http/context.ts fills it in for every request):
 * what the rate limits key on, what the audit log records and what log lines carry.
 */
export interface ClientInfo {
  /** The client's IP address: the socket's, or X-Forwarded-For as far as TRUST_PROXY allows. */
  readonly address: string;
  /** For the audit log only. */
  readonly userAgent?: string;
  /** The x-request-id of this request (the caller's when sane, else generated), for logs. */
  readonly requestId: string;
}
