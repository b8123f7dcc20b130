/**
 * TRUST_PROXY=1: one proxy in front of us appends the address it saw to X-Forwarded-For, and
 * only that last entry is believed. Whatever the client wrote to the left of it is ignored, so
 * spoofed entries neither dodge nor reset the per-address limit.
 */
import { startTestServer, type TestServer } from '../support/harness';
import {
  START_TIMEOUT_MS,
  firstCode,
  LOGIN,
  postGraphQL,
  rawRequest,
  type RawResponse,
} from './support';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    TRUST_PROXY: '1',
    LOGIN_MAX_FAILURES: '2',
    // The address limit is what these tests watch: two failures, whichever usernames.
    LOGIN_MAX_FAILURES_PER_ADDRESS: '2',
    LOGIN_FAILURE_WINDOW: '60s',
  });
}, START_TIMEOUT_MS);
afterAll(() => server?.close());

function login(forwardedFor: string | undefined, username: string, from = '127.0.0.1') {
  return postGraphQL(server.url, LOGIN, {
    variables: { u: username, p: 'wrong-password' },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    localAddress: from,
  });
}

const code = (res: RawResponse) => firstCode(res)?.code;

describe('the client address behind one trusted proxy', () => {
  it('is the last X-Forwarded-For entry: two clients behind the proxy are counted apart', async () => {
    expect(code(await login('203.0.113.10', 'nobody-1'))).toBe('UNAUTHENTICATED');
    expect(code(await login('203.0.113.10', 'nobody-2'))).toBe('UNAUTHENTICATED');
    expect(code(await login('203.0.113.10', 'nobody-3'))).toBe('RATE_LIMITED');
    // Another client behind the same proxy is not limited.
    expect(code(await login('203.0.113.11', 'nobody-4'))).toBe('UNAUTHENTICATED');
  });

  it('ignores entries the client wrote to the left: spoofing neither dodges nor resets', async () => {
    expect(code(await login('1.1.1.1, 203.0.113.20', 'nobody-5'))).toBe('UNAUTHENTICATED');
    expect(code(await login('2.2.2.2, 203.0.113.20', 'nobody-6'))).toBe('UNAUTHENTICATED');
    for (const spoofed of [
      '3.3.3.3, 203.0.113.20',
      '203.0.113.21, 203.0.113.20',
      ', 203.0.113.20',
    ]) {
      expect(code(await login(spoofed, 'nobody-7'))).toBe('RATE_LIMITED');
    }
  });

  it('reads repeated X-Forwarded-For headers as one list, trimmed', async () => {
    expect(code(await login(' 203.0.113.30 ', 'nobody-8'))).toBe('UNAUTHENTICATED');
    const twoHeaderLines = await rawRequest(server.url, {
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': ['8.8.8.8', '203.0.113.30'],
      },
      body: JSON.stringify({ query: LOGIN, variables: { u: 'nobody-9', p: 'wrong-password' } }),
    });
    expect(code(twoHeaderLines)).toBe('UNAUTHENTICATED');
    expect(code(await login('9.9.9.9,203.0.113.30', 'nobody-10'))).toBe('RATE_LIMITED');
  });

  it('falls back to the socket when the trusted entry is not an address', async () => {
    expect(code(await login('not-an-ip', 'nobody-11', '127.0.10.1'))).toBe('UNAUTHENTICATED');
    expect(code(await login('<script>', 'nobody-12', '127.0.10.1'))).toBe('UNAUTHENTICATED');
    // Both counted for the socket 127.0.10.1, with or without a header.
    expect(code(await login(undefined, 'nobody-13', '127.0.10.1'))).toBe('RATE_LIMITED');
  });
});
