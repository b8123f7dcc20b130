/**
 * The JSON answers the HTTP layer writes itself (not Apollo): one content type, and errors in
 * GraphQL's shape with a code, so that a client reads every error the same way (docs/API.md).
 */
import type { ServerResponse } from 'node:http';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export function graphqlError(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}
