/**
 * No caller can make the server hold memory for it (docs/SECURITY.md, "Verified-token
 * cache"): thousands of distinct Authorization headers, each padded around one valid token,
 * leave the heap of the built server where it was, and a header longer than any token we issue
 * is refused as TOKEN_INVALID before any work.
 *
 * The cache was keyed by the whole header once: 1,500 such requests of ~120 KB kept ~190 MB.
 */
import { post, spawnServer, TEST_SECRET, type ServerProcess } from '../support/process';

jest.setTimeout(120_000);

const METRICS_TOKEN = 'metrics-token-for-the-flood-test';
const ME = '{ me { username } }';

let server: ServerProcess;
beforeAll(async () => {
  server = await spawnServer({
    NODE_ENV: 'production',
    DATABASE_URL: 'memory://',
    JWT_SECRET: TEST_SECRET,
    METRICS_TOKEN,
    BOOTSTRAP_ADMIN_USERNAME: 'alice',
    BOOTSTRAP_ADMIN_PASSWORD: 'a long enough passphrase',
  });
});
afterAll(() => server.stop());

async function heapUsedBytes(): Promise<number> {
  const response = await fetch(`${server.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await response.text();
  return Number(/^nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1]);
}

/** Sends `count` requests, `concurrency` at a time, with the header of request `i`. */
async function flood(count: number, header: (i: number) => string) {
  const reasons = new Map<unknown, number>();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const answer = await post(server.url, ME, { authorization: header(next++) });
      const reason = answer.body.errors?.[0]?.extensions?.reason ?? 'ok';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return Object.fromEntries(reasons);
}

it('keeps the heap flat under thousands of distinct padded headers', async () => {
  const login = await post(
    server.url,
    'mutation { login(username: "alice", password: "a long enough passphrase") { accessToken } }',
  );
  const token = (login.body.data as { login: { accessToken: string } }).login.accessToken;
  await flood(500, () => `Bearer ${token}`);
  const before = await heapUsedBytes();

  // Short padding: accepted, and the same token every time.
  expect(await flood(2000, (i) => `Bearer ${' '.repeat(1 + (i % 7000))}${token}`)).toEqual({
    ok: 2000,
  });
  // ~100 KB each: 300 MB if anything kept them.
  expect(await flood(3000, (i) => `Bearer ${' '.repeat(100_000 + i)}${token}`)).toEqual({
    TOKEN_INVALID: 3000,
  });

  const grewMB = ((await heapUsedBytes()) - before) / 2 ** 20;
  expect(grewMB).toBeLessThan(40);
});
