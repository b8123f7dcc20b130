/** `npm run schema -w examples/notes`: writes examples/notes/schema.graphql for codegen. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchema } from 'graphql-jwt-auth';
import { notesApp } from './app';

export const NOTES_SCHEMA_FILE = join(__dirname, '..', 'schema.graphql');

if (require.main === module) {
  void printSchema(notesApp, '`npm run schema -w examples/notes`').then((sdl) => {
    writeFileSync(NOTES_SCHEMA_FILE, sdl);
    console.log(`wrote ${NOTES_SCHEMA_FILE}`);
  });
}
