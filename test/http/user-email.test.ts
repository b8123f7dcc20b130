/**
 * Who sees `User.email` (docs/API.md, "Accounts"): the account itself and admins; anyone else
 * who reaches the User through some field gets null. The notes app has such a field: an EDITOR
 * hiding another user's note reads the note's `author`.
 */
import jwt from 'jsonwebtoken';
import { notesApp } from '../../examples/notes/src/app';
import { firstError, startTestServer, type TestServer } from '../support/harness';

const ADDRESS = 'Mail.Owner@Example.com';
let server: TestServer;
let owner: string; // USER, signed up with ADDRESS
let ownerId: string;
let alice: string; // ADMIN
let carol: string; // EDITOR
let noteId: string;

beforeAll(async () => {
  server = await startTestServer({ SIGNUP: 'open', LOGIN_MAX_FAILURES: '1000' }, { app: notesApp });
  const res = await server.gql<{ signUp: { accessToken: string } }>(
    'mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken } }',
    {
      variables: {
        input: { username: 'mail_owner', password: 'tangerine-velvet-orbit-73', email: ADDRESS },
      },
    },
  );
  expect(res.errors).toBeUndefined();
  owner = res.data!.signUp.accessToken;
  ownerId = (jwt.decode(owner, { json: true }) as { sub: string }).sub;
  alice = (await server.login('alice', 'secret123')).accessToken;
  carol = (await server.login('carol', 'editor789')).accessToken;
  const note = await server.gql<{ createNote: { id: string } }>(
    'mutation { createNote(title: "mine", body: "a body") { id } }',
    { token: owner },
  );
  expect(note.errors).toBeUndefined();
  noteId = note.data!.createNote.id;
});
afterAll(() => server.close());

const AUTHOR_OF_NOTE =
  'query ($id: ID!) { note(id: $id) { author { id username email emailVerified } } }';

it('shows the account its own address, unverified at first, through me and through a note', async () => {
  const me = await server.gql<{ me: { id: string; email: string; emailVerified: boolean } }>(
    '{ me { id email emailVerified } }',
    { token: owner },
  );
  expect(me.errors).toBeUndefined();
  expect(me.data!.me).toEqual({ id: ownerId, email: ADDRESS, emailVerified: false });

  const own = await server.gql(AUTHOR_OF_NOTE, { token: owner, variables: { id: noteId } });
  expect(own.errors).toBeUndefined();
  expect(own.data).toEqual({
    note: { author: { id: ownerId, username: 'mail_owner', email: ADDRESS, emailVerified: false } },
  });
});

it('shows an admin the address, in the users list and through a note', async () => {
  const users = await server.gql<{ users: { id: string; email: string | null }[] }>(
    '{ users(search: "mail_owner") { id email } }',
    { token: alice },
  );
  expect(users.errors).toBeUndefined();
  expect(users.data!.users).toEqual([{ id: ownerId, email: ADDRESS }]);

  const viaNote = await server.gql(AUTHOR_OF_NOTE, { token: alice, variables: { id: noteId } });
  expect(viaNote.errors).toBeUndefined();
  expect(viaNote.data).toMatchObject({ note: { author: { email: ADDRESS } } });
});

it('answers null to another user who reaches the account (an EDITOR hiding its note)', async () => {
  const hidden = await server.gql<{
    hideNote: { hidden: boolean; author: { username: string; email: string | null } };
  }>(
    'mutation ($id: ID!) { hideNote(id: $id, hidden: true) { hidden author { username email } } }',
    { token: carol, variables: { id: noteId } },
  );
  expect(hidden.errors).toBeUndefined();
  expect(hidden.data!.hideNote).toEqual({
    hidden: true,
    author: { username: 'mail_owner', email: null },
  });
});

it('answers null for an account without an address, to itself too', async () => {
  const bob = (await server.login('bob', 'password456')).accessToken;
  const me = await server.gql('{ me { username email emailVerified } }', { token: bob });
  expect(me.data).toEqual({ me: { username: 'bob', email: null, emailVerified: false } });
});

it('does not give the users list, with its addresses, to a non-admin', async () => {
  const res = await server.gql('{ users { email } }', { token: carol });
  expect(firstError(res)).toMatchObject({ code: 'FORBIDDEN' });
});
