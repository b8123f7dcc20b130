/**
 * The database refused a value it was given, not the query: text with a NUL (which PostgreSQL
 * cannot hold), or text that is no valid form of its column's type (an id that is no UUID).
 *
 * The use cases check their text first (src/auth/input-text.ts), so reaching the database with
 * such a value means a check is missing. Defence in depth: the GraphQL layer still answers it as
 * the client's BAD_USER_INPUT, never as an internal error, and logs it so the gap gets closed.
 */
import { pgErrorCode } from './sql-user-store';

/** 22021: character_not_in_repertoire (NUL in UTF-8 text); 22P02: invalid_text_representation. */
const REFUSED_VALUE_SQLSTATES = new Set(['22021', '22P02']);

export function isRefusedValue(error: unknown): boolean {
  const code = pgErrorCode(error);
  return code !== undefined && REFUSED_VALUE_SQLSTATES.has(code);
}
