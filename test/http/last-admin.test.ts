/**
 * The last active ADMIN cannot be deactivated (docs/API.md, "Authorization rules"), not even by
 * two admins deactivating each other at the same moment.
 */
import { firstError, startTestServer, type TestServer } from '../support/harness';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const DEACTIVATE = 'mutation ($id: ID!) { setUserActive(id: $id, active: false) { id isActive } }';
const CREATE =
  'mutation ($u: String!) { createUser(input: { username: $u, password: "a-long-password", role: ADMIN }) { id } }';

it('lets one of two admins deactivating each other at once succeed, and refuses the other', async () => {
  const alice = await server.login('alice', 'secret123');
  const created = await server.gql<{ createUser: { id: string } }>(CREATE, {
    token: alice.accessToken,
    variables: { u: 'carol' },
  });
  const carolId = created.data!.createUser.id;
  const carol = await server.login('carol', 'a-long-password');
  const me = await server.gql<{ me: { id: string } }>('{ me { id } }', {
    token: alice.accessToken,
  });
  const aliceId = me.data!.me.id;

  const [byAlice, byCarol] = await Promise.all([
    server.gql(DEACTIVATE, { token: alice.accessToken, variables: { id: carolId } }),
    server.gql(DEACTIVATE, { token: carol.accessToken, variables: { id: aliceId } }),
  ]);
  const answers = [byAlice, byCarol];
  expect(answers.filter((res) => res.errors === undefined)).toHaveLength(1);
  const refused = answers.find((res) => res.errors !== undefined)!;
  // Refused by the rule, or (had the winner's commit come first) by the guard: its admin is gone.
  expect(['BAD_USER_INPUT', 'UNAUTHENTICATED']).toContain(firstError(refused)?.code);
  if (firstError(refused)?.code === 'BAD_USER_INPUT') {
    expect(refused.errors![0]!.message).toMatch(/last active admin/);
  }

  const survivor = byAlice.errors === undefined ? alice : carol;
  const users = await server.gql<{ users: { role: string; isActive: boolean }[] }>(
    '{ users { role isActive } }',
    { token: survivor.accessToken },
  );
  expect(users.data!.users.filter((u) => u.role === 'ADMIN' && u.isActive)).toHaveLength(1);
});
