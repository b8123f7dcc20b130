import { Writable } from 'node:stream';
import { jsonLogger } from '../../src/logger';
import { startTestServer, type TestServer } from '../support/harness';

const lines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(
    {},
    { logger: jsonLogger({ level: 'debug', destination: capture }) },
  );
});
afterAll(() => server.close());

describe('the log', () => {
  it('has a JSON line per request with the request id, honouring x-request-id', async () => {
    await server.gql('{ publicMessage }', { headers: { 'x-request-id': 'trace-abc-123' } });
    const line = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.requestId === 'trace-abc-123');
    expect(line).toMatchObject({ level: 'debug', msg: 'request', path: '/graphql', status: 200 });
  });

  it('never contains a token, a password or a password hash, over a full session', async () => {
    const secrets: string[] = ['secret123', 'password456', 'carol-password-1', 'carol-password-2'];
    const admin = await server.login('alice', 'secret123');
    await server.gql(
      'mutation { createUser(input: { username: "carol", password: "carol-password-1" }) { id } }',
      {
        token: admin.accessToken,
      },
    );
    await server.gql(
      'mutation { login(username: "carol", password: "wrong-password-9") { accessToken } }',
    );
    secrets.push('wrong-password-9');
    const carol = await server.login('carol', 'carol-password-1');
    await server.gql('{ me { id } }', { token: carol.accessToken });
    const refreshed = await server.gql<{ refresh: { accessToken: string; refreshToken: string } }>(
      'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }',
      { variables: { t: carol.refreshToken } },
    );
    const next = refreshed.data!.refresh;
    await server.gql(
      'mutation { changePassword(currentPassword: "carol-password-1", newPassword: "carol-password-2") }',
      {
        token: next.accessToken,
      },
    );
    await server.gql('{ me { id } }', { token: 'garbage.token.value' });
    await server.gql('mutation { logout }', { token: next.accessToken });
    secrets.push(
      admin.accessToken,
      admin.refreshToken,
      carol.accessToken,
      carol.refreshToken,
      next.accessToken,
      next.refreshToken,
    );
    for (const name of ['alice', 'bob', 'carol']) {
      const user = await server.app.services.accounts.findByUsername(name);
      secrets.push((await server.app.services.deps.users.passwordHashOf(user!.id))!);
    }

    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(8);
    for (const secret of secrets) expect(log).not.toContain(secret);
  });
});
