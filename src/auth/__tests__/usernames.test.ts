/**
 * The canonical username (src/auth/usernames.ts): one form per account, whatever the spelling,
 * and no form at all for what no account can be called.
 */
import fc from 'fast-check';
import { canonicalUsername, newUsername } from '../usernames';

describe('canonicalUsername', () => {
  it.each([
    ['Kate', 'kate'],
    ['KATE.Smith@example', 'kate.smith@example'],
    ['\u212Aate', 'kate'], // KELVIN SIGN: NFKC makes it K
    ['\uFF4B\uFF41\uFF54\uFF45', 'kate'], // fullwidth ｋａｔｅ
    ['\uFF2B\uFF21\uFF34\uFF25', 'kate'], // fullwidth ＫＡＴＥ
    ['\uFB01sh', 'fish'], // the ligature ﬁ
  ])('folds %j to %j', (input, canonical) => {
    expect(canonicalUsername(input)).toBe(canonical);
  });

  it.each([
    ['al\u0130ce', 'İ (U+0130): JavaScript lowercases it to i + U+0307, PostgreSQL to i'],
    ['ali\u0307ce', 'a combining dot above'],
    ['kate\u0301', 'a combining acute accent (NFKC composes é)'],
    ['k\u0430te', 'a Cyrillic а'],
    ['ka\u200Bte', 'ZERO WIDTH SPACE'],
    ['ka\u200Dte', 'ZERO WIDTH JOINER'],
    ['\uFEFFkate', 'a byte order mark'],
    ['ka\u0000te', 'NUL'],
    ['ka\nte', 'a line feed'],
    ['\uD800kate', 'a lone surrogate'],
    ['ka', 'two characters'],
    ['_kate', 'a symbol first'],
    ['k'.repeat(65), '65 characters'],
    ['\uFDFA'.repeat(10_000), 'a long string that NFKC would expand'],
  ])('is undefined for %j (%s)', (input) => {
    expect(canonicalUsername(input)).toBeUndefined();
  });

  it('never throws, and what it returns is its own canonical form', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (input) => {
        const canonical = canonicalUsername(input);
        if (canonical !== undefined) expect(canonicalUsername(canonical)).toBe(canonical);
      }),
    );
  });
});

describe('newUsername', () => {
  it('takes the alphabet as typed, any case', () => {
    expect(newUsername('Kate.Smith')).toBe('kate.smith');
  });

  it.each(['\uFF4B\uFF41\uFF54\uFF45', '\u212Aate', 'ka\u200Bte', 'al\u0130ce', 'kat\u00E9'])(
    'refuses %j, which only login folds or which is no one',
    (input) => {
      expect(newUsername(input)).toBeUndefined();
    },
  );
});
