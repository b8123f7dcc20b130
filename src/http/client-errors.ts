/**
 * Requests node's HTTP parser refuses never reach a route: headers over MAX_HEADER_BYTES, a
 * request past its timeout, broken HTTP. Node would answer them with a bare status line; this
 * answers in the JSON error shape of every other refusal (docs/API.md, "Request errors").
 */
import type { Socket } from 'node:net';
import { graphqlError } from './json';

/**
 * Node's default (16 KB) would answer an oversized Authorization header with a bare 431 before
 * we see it; with room for a 100 KB header the token check refuses it as UNAUTHENTICATED, and
 * anything larger still gets a JSON 431 (see `answerClientError` below).
 */
export const MAX_HEADER_BYTES = 128 * 1024;

/** A JSON answer for what node's HTTP parser refused, then the connection is closed. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const known = error.code !== undefined && Object.hasOwn(CLIENT_ERRORS, error.code);
  const [status, reason, code, message] = CLIENT_ERRORS[known ? error.code! : 'other']!;
  const body = JSON.stringify(graphqlError(message, code));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * The status says what went wrong; the code is the contract's BAD_REQUEST (docs/API.md,
 * "Request errors"), so a client needs no code beyond the contract's to handle them.
 */
const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'BAD_REQUEST',
    `The request headers are larger than ${MAX_HEADER_BYTES} bytes.`,
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'BAD_REQUEST', 'The request took too long.'],
  other: [400, 'Bad Request', 'BAD_REQUEST', 'The request is not valid HTTP.'],
};
