/**
 * Slow clients (docs/SECURITY.md, "Slow clients"): headers or a body trickled a byte at a time
 * are cut off at the header and request timeouts with a JSON 408, an idle kept-alive connection
 * is closed, and the server keeps serving. Here with limits of a fraction of a second, through
 * createServer's option; the production limits are pinned on the real server below.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { jsonLogger } from '../../src/logger';
import {
  HEADERS_TIMEOUT_SECONDS,
  KEEP_ALIVE_TIMEOUT_SECONDS,
  REQUEST_TIMEOUT_SECONDS,
} from '../../src/http/http-timeouts';
import { startTestServer, type TestServer } from '../support/harness';
import { createTestBackend, postgresBackendEnabled } from '../support/postgres';
import { START_TIMEOUT_MS, postGraphQL } from './support';

const SHORT = { headersSeconds: 0.5, requestSeconds: 1.5, keepAliveSeconds: 0.5 };

let server: TestServer;
let port: number;
/** The levels of what the server logged: a client cut off is routine, not an error. */
const levels: string[] = [];
beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        levels.push((JSON.parse(line) as { level: string }).level);
      }
      done();
    },
  });
  server = await startTestServer(
    {},
    { httpTimeouts: SHORT, logger: jsonLogger({ level: 'info', destination }) },
  );
  port = Number(new URL(server.url).port);
}, START_TIMEOUT_MS);
afterAll(() => server?.close());

/** What a raw connection to `port` received until the server closed it, and when. */
interface Closed {
  readonly text: string;
  readonly seconds: number;
}

/**
 * Opens a connection, writes `head` at once and then `trickle` one byte every `everyMs`
 * (forever, repeating it), and resolves when the server closes the connection.
 */
function slowClient(
  head: string,
  trickle: string,
  everyMs: number,
  toPort = port,
): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const socket: Socket = connect(toPort, '127.0.0.1', () => {
      socket.write(head);
      let i = 0;
      timer = setInterval(() => {
        if (socket.writable) socket.write(trickle[i++ % trickle.length]!);
      }, everyMs);
    });
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', () => undefined); // a write racing the close; the close tells
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ text, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    });
    // Node's defaults would keep it open for 60 s (headers) or 300 s (request).
    socket.setTimeout(20_000, () => reject(new Error('the server never closed the connection')));
  });
}

function expectJson408(closed: Closed) {
  expect(closed.text).toMatch(/^HTTP\/1\.1 408 /);
  const body = JSON.parse(closed.text.slice(closed.text.indexOf('\r\n\r\n') + 4)) as unknown;
  expect(body).toEqual({
    errors: [{ message: expect.any(String), extensions: { code: 'BAD_REQUEST' } }],
  });
}

describe('with limits of a fraction of a second', () => {
  it('cuts off headers trickled past the header timeout with a JSON 408', async () => {
    const closed = await slowClient('POST /graphql HTTP/1.1\r\nHost: x\r\n', 'x-slow: 1\r\n', 50);
    expectJson408(closed);
    expect(closed.seconds).toBeGreaterThanOrEqual(SHORT.headersSeconds);
    expect(closed.seconds).toBeLessThan(SHORT.requestSeconds + 3);
  });

  it('cuts off a body trickled past the request timeout with a JSON 408', async () => {
    const head =
      'POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 10000\r\n\r\n';
    const closed = await slowClient(head, '{"query":"{ publicMessage }"}', 50);
    expectJson408(closed);
    await sleep(200); // the server sees the close after the client does
    expect(levels.filter((level) => level === 'error')).toEqual([]);
    expect(closed.seconds).toBeGreaterThanOrEqual(SHORT.requestSeconds);
    expect(closed.seconds).toBeLessThan(SHORT.requestSeconds + 3);
  });

  it('closes a kept-alive connection left idle past the keep-alive timeout', async () => {
    const request = 'GET /healthz HTTP/1.1\r\nHost: x\r\nconnection: keep-alive\r\n\r\n';
    const closed = await slowClient(request, '', 60_000);
    expect(closed.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(closed.seconds).toBeGreaterThanOrEqual(SHORT.keepAliveSeconds);
    // node adds a second of grace to the keep-alive timeout; its default is 5 s.
    expect(closed.seconds).toBeLessThan(SHORT.keepAliveSeconds + 3);
  });

  it('answers a request that is slow but within the limits, and keeps serving', async () => {
    const body = JSON.stringify({ query: '{ publicMessage }' });
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', async () => {
        socket.write(
          `POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
        );
        await sleep(300);
        socket.write(body.slice(0, 10));
        await sleep(300);
        socket.write(body.slice(10));
      });
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"publicMessage"');
    expect((await postGraphQL(server.url, '{ publicMessage }')).status).toBe(200);
  });
});

describe('the production limits', () => {
  it('are 10 s for headers, 30 s for the request, 5 s of keep-alive', () => {
    expect([HEADERS_TIMEOUT_SECONDS, REQUEST_TIMEOUT_SECONDS, KEEP_ALIVE_TIMEOUT_SECONDS]).toEqual([
      10, 30, 5,
    ]);
  });

  it(
    'are the node server’s when createServer is given none',
    async () => {
      const created: http.Server[] = [];
      const original = http.createServer.bind(http);
      const spy = jest.spyOn(http, 'createServer').mockImplementation(((
        ...args: Parameters<typeof http.createServer>
      ) => {
        const made = original(...args);
        created.push(made);
        return made;
      }) as typeof http.createServer);
      let other: TestServer | undefined;
      try {
        other = await startTestServer();
      } finally {
        spy.mockRestore();
        await other?.close();
      }
      expect(created).toHaveLength(1);
      expect(created[0]).toMatchObject({
        headersTimeout: HEADERS_TIMEOUT_SECONDS * 1000,
        requestTimeout: REQUEST_TIMEOUT_SECONDS * 1000,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      });
    },
    START_TIMEOUT_MS,
  );

  it('cut off slow headers on the real server (npm start) after 10 s', async () => {
    // On the postgres+redis project the real server runs on them too, as it would deployed.
    const backend = postgresBackendEnabled() ? await createTestBackend() : undefined;
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
      cwd: join(__dirname, '..', '..'),
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        JWT_SECRET: 'a-production-secret-0123456789-abcdefghijklmnop',
        DATABASE_URL: 'memory://',
        HOST: '127.0.0.1',
        PORT: '0',
        BCRYPT_COST: '4',
        ...backend?.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const realPort = await new Promise<number>((resolve, reject) => {
        let log = '';
        child.stderr!.on('data', (chunk: Buffer) => {
          log += chunk.toString('utf8');
          const url = /"url":"http:\/\/[^:]+:(\d+)\/graphql"/.exec(log);
          if (url) resolve(Number(url[1]));
        });
        child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${log}`)));
      });
      const closed = await slowClient(
        'GET /healthz HTTP/1.1\r\nHost: x\r\n',
        'x-slow: 1\r\n',
        200,
        realPort,
      );
      expectJson408(closed);
      expect(closed.seconds).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_SECONDS);
      expect(closed.seconds).toBeLessThan(HEADERS_TIMEOUT_SECONDS + 3);
    } finally {
      child.kill('SIGKILL');
      await backend?.drop();
    }
  }, 90_000);
});
