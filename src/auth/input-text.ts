/**
 * The one rule for text that clients send (docs/API.md, "Text arguments"): no control
 * character — C0 (U+0000–U+001F: NUL, and tab and newline too), DEL (U+007F), C1
 * (U+0080–U+009F) — and no lone surrogate (half of a UTF-16 pair). Everything printable is
 * allowed: letters of every script, spaces, punctuation, emoji.
 *
 * Why: PostgreSQL cannot hold a NUL in text at all (the query fails); a lone surrogate has no
 * UTF-8 form, so the driver would silently turn it into U+FFFD and two different strings would
 * name one row. The other control characters have no place in a name, an id or a password
 * typed into a form (tab moves the focus, newline submits it): they are a pasted mistake or a
 * probe, and refusing them up front keeps them out of logs and of the database.
 *
 * The use cases check their text arguments with this before anything reaches a store; passwords
 * when they are set (they never reach SQL, being hashed, but one rule is easier to state).
 */
import { BadUserInput } from './errors';

/** In Unicode mode a surrogate pair is one code point, so `\p{Cs}` matches lone halves only. */
const FORBIDDEN = /[\p{Cc}\p{Cs}]/u;

/** True when `text` has no control character and no lone surrogate. */
export function isCleanText(text: string): boolean {
  return !FORBIDDEN.test(text);
}

/** Throws BadUserInput naming `what` (e.g. "A username") unless `text` is clean. */
export function checkText(text: string, what: string): void {
  if (!isCleanText(text)) {
    throw new BadUserInput(`${what} must not contain control characters or lone surrogates.`);
  }
}
