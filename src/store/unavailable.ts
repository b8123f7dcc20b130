/**
 * A store (the database or Redis) did not answer. Callers that make an auth decision on it fail
 * closed; the GraphQL layer reports SERVICE_UNAVAILABLE.
 */
export class StoreUnavailable extends Error {
  constructor(store: 'database' | 'redis', options?: ErrorOptions) {
    super(`The ${store} is not answering; try again shortly.`, options);
    this.name = 'StoreUnavailable';
  }
}

/** SQLSTATE classes and socket errors that mean "the database is away", not "the query is wrong". */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-4])/;
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection/i;

export function isStoreUnavailable(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof StoreUnavailable) return true;
    const code = (e as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_MESSAGE.test(code))
    ) {
      return true;
    }
    if (UNAVAILABLE_MESSAGE.test(e.message)) return true;
  }
  return false;
}
