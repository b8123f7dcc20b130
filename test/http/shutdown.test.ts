/**
 * Shutdown waits for the requests still running, including one whose client has gone away:
 * a login keeps hashing after its client disconnects, and must not meet a closed database.
 */
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { jsonLogger } from '../../src/logger';
import { startTestServer } from '../support/harness';

it('lets a login whose client disconnected finish before the database closes', async () => {
  const lines: { level: string; msg: string }[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as { level: string; msg: string });
      }
      done();
    },
  });
  // Cost 12: the login is still hashing (about 250 ms) when the client leaves.
  const server = await startTestServer(
    { BCRYPT_COST: '12' },
    { logger: jsonLogger({ level: 'info', destination: capture }) },
  );
  const body = JSON.stringify({
    query: 'mutation { login(username: "alice", password: "secret123") { accessToken } }',
  });
  const client = request(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  client.on('error', () => undefined); // we hang up ourselves
  client.end(body);
  await sleep(50);
  client.destroy();
  await sleep(20);

  await server.close();
  expect(lines.filter((line) => line.level === 'error')).toEqual([]);
});
