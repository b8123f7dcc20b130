/**
 * The node:http server itself, with the limits that must be set when it is created: the header
 * size, the timeouts against slow clients, and JSON answers for what its parser refuses.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { answerClientError, MAX_HEADER_BYTES } from './client-errors';
import { httpTimeoutOptions, type HttpTimeouts } from './http-timeouts';

export function createNodeServer(timeouts?: HttpTimeouts): HttpServer {
  const httpServer = createHttpServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    ...httpTimeoutOptions(timeouts),
  });
  // Requests node cannot parse (headers over MAX_HEADER_BYTES, broken HTTP) get a JSON error too.
  httpServer.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    answerClientError(error, socket);
  });
  return httpServer;
}

/** Resolves with the address once listening (port 0 picks a free one); rejects if it cannot. */
export function listen(httpServer: HttpServer, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve(httpServer.address() as AddressInfo));
  });
}
