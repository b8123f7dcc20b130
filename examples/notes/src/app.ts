/** The notes app: what it adds to the auth server. */
import type { AuthApp } from 'graphql-jwt-auth';
import { NoteResolver } from './note.resolver';
import { NOTES_MIGRATIONS, NotesStore } from './notes-store';

export const notesApp: AuthApp<{ notes: NotesStore }> = {
  roles: ['USER', 'EDITOR', 'ADMIN'],
  resolvers: [NoteResolver],
  migrations: NOTES_MIGRATIONS,
  demoUsers: [{ username: 'carol', password: 'editor789', role: 'EDITOR' }],
  context: ({ sql }) => ({ notes: new NotesStore(sql) }),
  sandboxDocument: `# Log in, put the accessToken in the Headers panel (Authorization: Bearer <accessToken>).
mutation Login {
  login(username: "bob", password: "password456") { accessToken refreshToken }
}

mutation CreateNote {
  createNote(title: "First", body: "Hello") { id title createdAt }
}

query MyNotes {
  myNotes { id title hidden author { username } }
}
`,
};
