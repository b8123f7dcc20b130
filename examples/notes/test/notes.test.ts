/**
 * The notes app over HTTP, as its clients use it: the server's guards on the app's fields, its
 * roles (USER < EDITOR < ADMIN), its ownership rule and its own table, on both backends.
 */
import { readFileSync } from 'node:fs';
import { printSchema } from 'graphql-jwt-auth';
import { firstError, startTestServer, type TestServer } from '../../../test/support/harness';
import { notesApp } from '../src/app';
import { NOTES_SCHEMA_FILE } from '../src/emit-schema';

let server: TestServer;
let alice: string; // ADMIN
let bob: string; // USER
let carol: string; // EDITOR
beforeAll(async () => {
  server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' }, { app: notesApp });
  alice = (await server.login('alice', 'secret123')).accessToken;
  bob = (await server.login('bob', 'password456')).accessToken;
  carol = (await server.login('carol', 'editor789')).accessToken;
});
afterAll(() => server.close());

const FORBIDDEN = { code: 'FORBIDDEN' };

async function createNote(token: string, title = 'a title', body = 'a body'): Promise<string> {
  const res = await server.gql<{ createNote: { id: string } }>(
    'mutation ($t: String!, $b: String!) { createNote(title: $t, body: $b) { id } }',
    { token, variables: { t: title, b: body } },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.createNote.id;
}

const NOTE =
  'query ($id: ID!) { note(id: $id) { id title body hidden createdAt author { username role } } }';

describe('the ownership rule', () => {
  it('lets the author and an ADMIN read a note, and refuses an EDITOR and another USER', async () => {
    const id = await createNote(bob, 'mine', 'secret');
    const own = await server.gql<{ note: { author: { username: string }; createdAt: string } }>(
      NOTE,
      { token: bob, variables: { id } },
    );
    expect(own.errors).toBeUndefined();
    expect(own.data!.note).toMatchObject({ id, title: 'mine', body: 'secret', hidden: false });
    expect(own.data!.note.author).toEqual({ username: 'bob', role: 'USER' });
    expect(new Date(own.data!.note.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const admin = await server.gql(NOTE, { token: alice, variables: { id } });
    expect(admin.errors).toBeUndefined();

    for (const token of [carol]) {
      const refused = await server.gql(NOTE, { token, variables: { id } });
      expect(firstError(refused)).toEqual(FORBIDDEN);
      expect(refused.data).toEqual({ note: null });
    }
    const anonymous = await server.gql(NOTE, { variables: { id } });
    expect(firstError(anonymous)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('answers null for a note that does not exist, whoever asks', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const res = await server.gql(NOTE, { token: carol, variables: { id } });
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ note: null });
    }
  });

  it('lets only the author or an ADMIN delete a note', async () => {
    const id = await createNote(bob);
    const del = 'mutation ($id: ID!) { deleteNote(id: $id) }';
    expect(firstError(await server.gql(del, { token: carol, variables: { id } }))).toEqual(
      FORBIDDEN,
    );
    expect((await server.gql(NOTE, { token: bob, variables: { id } })).data).toMatchObject({
      note: { id },
    });
    expect((await server.gql(del, { token: bob, variables: { id } })).data).toEqual({
      deleteNote: true,
    });
    expect((await server.gql(del, { token: bob, variables: { id } })).data).toEqual({
      deleteNote: false,
    });
    const other = await createNote(carol);
    expect((await server.gql(del, { token: alice, variables: { id: other } })).data).toEqual({
      deleteNote: true,
    });
  });
});

describe("the app's roles", () => {
  it('lets an EDITOR and an ADMIN (above EDITOR) hide a note, and refuses a USER', async () => {
    const id = await createNote(bob);
    const hide = 'mutation ($id: ID!, $h: Boolean!) { hideNote(id: $id, hidden: $h) { hidden } }';
    const byUser = await server.gql(hide, { token: bob, variables: { id, h: true } });
    expect(firstError(byUser)).toEqual(FORBIDDEN);
    expect(byUser.errors![0]!.message).toBe('Requires role: EDITOR.');
    expect((await server.gql(hide, { token: carol, variables: { id, h: true } })).data).toEqual({
      hideNote: { hidden: true },
    });
    expect((await server.gql(hide, { token: alice, variables: { id, h: false } })).data).toEqual({
      hideNote: { hidden: false },
    });
    const missing = await server.gql(hide, {
      token: carol,
      variables: { id: '00000000-0000-4000-8000-000000000000', h: true },
    });
    expect(firstError(missing)).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it('keeps allNotes for ADMIN, in pages', async () => {
    const ids = [await createNote(bob), await createNote(carol), await createNote(alice)];
    const page = 'query ($f: Int!, $a: ID) { allNotes(first: $f, after: $a) { id } }';
    expect(firstError(await server.gql(page, { token: carol, variables: { f: 10 } }))).toEqual(
      FORBIDDEN,
    );
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const res = await server.gql<{ allNotes: { id: string }[] }>(page, {
        token: alice,
        variables: { f: 2, a: after },
      });
      expect(res.errors).toBeUndefined();
      if (res.data!.allNotes.length === 0) break;
      seen.push(...res.data!.allNotes.map((n) => n.id));
      after = seen.at(-1);
    }
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
    const tooMany = await server.gql(page, { token: alice, variables: { f: 501 } });
    expect(firstError(tooMany)).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it('puts the app roles in the Role enum: createUser accepts EDITOR and refuses others', async () => {
    const create =
      'mutation ($r: Role!) { createUser(input: { username: "dave", password: "long-password-1", role: $r }) { role } }';
    const unknown = await server.gql(create, { token: alice, variables: { r: 'OWNER' } });
    expect(firstError(unknown)).toMatchObject({ code: 'BAD_USER_INPUT' });
    const made = await server.gql(create, { token: alice, variables: { r: 'EDITOR' } });
    expect(made.data).toEqual({ createUser: { role: 'EDITOR' } });
    const dave = await server.login('dave', 'long-password-1');
    const res = await server.gql('{ me { role } }', { token: dave.accessToken });
    expect(res.data).toEqual({ me: { role: 'EDITOR' } });
  });
});

describe("the server's rules on the app's fields", () => {
  it('refuses a mutation operation whole when one of its fields is refused', async () => {
    const before = await server.gql<{ myNotes: unknown[] }>('{ myNotes { id } }', { token: bob });
    const res = await server.gql(
      'mutation { createNote(title: "x", body: "y") { id } hideNote(id: "00000000-0000-4000-8000-000000000000", hidden: true) { id } }',
      { token: bob },
    );
    expect(firstError(res)).toEqual(FORBIDDEN);
    const after = await server.gql<{ myNotes: unknown[] }>('{ myNotes { id } }', { token: bob });
    expect(after.data!.myNotes).toHaveLength(before.data!.myNotes.length);
  });

  it('answers the allowed fields of a query and refuses the others', async () => {
    const res = await server.gql<{ myNotes: unknown[] | null; note: unknown }>(
      'query ($id: ID!) { myNotes { id } note(id: $id) { id } }',
      { token: carol, variables: { id: await createNote(bob) } },
    );
    expect(Array.isArray(res.data!.myNotes)).toBe(true);
    expect(res.data!.note).toBeNull();
    expect(firstError(res)).toEqual(FORBIDDEN);
  });

  it('refuses bad input with BAD_USER_INPUT', async () => {
    const res = await server.gql('mutation { createNote(title: "", body: "b") { id } }', {
      token: bob,
    });
    expect(firstError(res)).toEqual({ code: 'BAD_USER_INPUT' });
  });
});

it('has its schema.graphql generated from its classes, guards printed', async () => {
  const sdl = await printSchema(notesApp, '`npm run schema -w examples/notes`');
  expect(readFileSync(NOTES_SCHEMA_FILE, 'utf8')).toBe(sdl);
  expect(sdl).toContain('note(id: ID!): Note @auth');
  expect(sdl).toContain('hideNote(hidden: Boolean!, id: ID!): Note! @hasRole(roles: [EDITOR])');
  expect(sdl).toContain('Only its owner, or a user with role ADMIN.');
});
