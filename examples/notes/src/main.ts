/**
 * `npm run example:notes`: the notes app, with the same environment variables as `npm start`.
 * Its embedded database is its own (./data-notes unless DATA_DIR says otherwise): the notes
 * table and the EDITOR role do not belong in the standalone server's ./data.
 */
import { runServer } from 'graphql-jwt-auth';
import { notesApp } from './app';

process.env.DATA_DIR ??= './data-notes';
runServer(notesApp);
