/** The notes table, in plain SQL through the server's database handle (PGlite or PostgreSQL). */
import type { AppMigration, SqlClient } from 'graphql-jwt-auth';

export const NOTES_MIGRATIONS: readonly AppMigration[] = [
  {
    version: 1,
    name: 'notes',
    statements: [
      `CREATE TABLE notes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        author_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title text NOT NULL,
        body text NOT NULL,
        hidden boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX notes_author_idx ON notes (author_id, created_at, id)`,
      `CREATE INDEX notes_created_idx ON notes (created_at, id)`,
    ],
  },
];

export interface NoteRow {
  readonly id: string;
  readonly authorId: string;
  readonly title: string;
  readonly body: string;
  readonly hidden: boolean;
  readonly createdAt: Date;
}

const COLUMNS = `id, author_id AS "authorId", title, body, hidden, created_at AS "createdAt"`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class NotesStore {
  constructor(private readonly sql: SqlClient) {}

  async create(authorId: string, title: string, body: string): Promise<NoteRow> {
    const [row] = await this.sql.query<NoteRow>(
      `INSERT INTO notes (author_id, title, body) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [authorId, title, body],
    );
    return row!;
  }

  /** Undefined for an id that is no note's (or not an id at all). */
  async find(id: string): Promise<NoteRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = await this.sql.query<NoteRow>(`SELECT ${COLUMNS} FROM notes WHERE id = $1`, [id]);
    return row;
  }

  /** The author's id: what the ownership rule compares with the caller. */
  async authorOf(id: string): Promise<string | undefined> {
    return (await this.find(id))?.authorId;
  }

  async byAuthor(authorId: string): Promise<NoteRow[]> {
    return this.sql.query<NoteRow>(
      `SELECT ${COLUMNS} FROM notes WHERE author_id = $1 ORDER BY created_at, id`,
      [authorId],
    );
  }

  /** Oldest first, `first` at a time, after the note `after` (keyset: no offset to scan). */
  async page(first: number, after: string | undefined): Promise<NoteRow[]> {
    if (after === undefined) {
      return this.sql.query<NoteRow>(
        `SELECT ${COLUMNS} FROM notes ORDER BY created_at, id LIMIT $1`,
        [first],
      );
    }
    if (!UUID.test(after)) return [];
    return this.sql.query<NoteRow>(
      `SELECT ${COLUMNS} FROM notes
       WHERE (created_at, id) > (SELECT created_at, id FROM notes WHERE id = $2)
       ORDER BY created_at, id LIMIT $1`,
      [first, after],
    );
  }

  async setHidden(id: string, hidden: boolean): Promise<NoteRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = await this.sql.query<NoteRow>(
      `UPDATE notes SET hidden = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, hidden],
    );
    return row;
  }

  /** False when there was no such note. */
  async delete(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const rows = await this.sql.query(`DELETE FROM notes WHERE id = $1 RETURNING id`, [id]);
    return rows.length > 0;
  }
}
