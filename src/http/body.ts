/**
 * Reading a request body, with a size limit: node hands us a stream of any length, and a
 * GraphQL document is small, so anything bigger is refused before it is buffered whole.
 */
import type { IncomingMessage } from 'node:http';

/** GraphQL documents are small; anything bigger is abuse. */
export const MAX_BODY_BYTES = 100 * 1024;

/** A body the route answers with an error of its own: too large, or not valid JSON. */
export class HttpProblem {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly code: string,
  ) {}
}

/** The body did not arrive whole: the client hung up or a timeout cut it off. */
export class RequestAborted extends Error {
  constructor() {
    super('the request was aborted');
  }
}

/** The body, parsed when it is JSON; an HttpProblem when it is too large or not valid JSON. */
export async function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return tooLarge(req);
  const text = await readText(req);
  if (text === undefined) return tooLarge(req);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/json') && !type.includes('+json')) return text;
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return new HttpProblem(400, 'The request body is not valid JSON.', 'BAD_REQUEST');
  }
}

/**
 * The body as UTF-8, or undefined past MAX_BODY_BYTES. Plain 'data'/'end' events: an async
 * iterator over the request costs a few promises per request, and this runs on every one.
 */
export function readText(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.removeAllListeners('data').removeAllListeners('end');
      resolve(undefined);
    };
    let ended = false;
    req.on('data', onData);
    req.once('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    });
    req.once('error', () => reject(new RequestAborted()));
    req.once('close', () => {
      // The client went away before the end: nothing to answer.
      if (!ended) reject(new RequestAborted());
    });
  });
}

function tooLarge(req: IncomingMessage): HttpProblem {
  req.resume(); // drain, so the connection can answer
  return new HttpProblem(
    413,
    `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
    'PAYLOAD_TOO_LARGE',
  );
}
