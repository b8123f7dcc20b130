import { checkText, isCleanText } from '../input-text';

describe('the rule for text from clients', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['a tab', 'a\tb'],
    ['a newline', 'a\nb'],
    ['the last C0 character', 'a\u001fb'],
    ['DEL', 'a\u007fb'],
    ['a C1 character', 'a\u0085b'],
    ['the last C1 character', 'a\u009fb'],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate', 'a\udfffb'],
    ['a high surrogate at the end', 'ab\udbff'],
  ])('refuses %s', (_name, text) => {
    expect(isCleanText(text)).toBe(false);
    expect(() => checkText(text, 'A username')).toThrow(
      expect.objectContaining({
        code: 'BAD_USER_INPUT',
        message: expect.stringMatching(/^A username /),
      }),
    );
  });

  it.each([
    ['ASCII with spaces and punctuation', 'correct horse, battery staple!'],
    ['letters of other scripts', 'Ünïcødé Ελληνικά 日本語'],
    ['a surrogate pair (emoji)', 'pass 😀 word'],
    ['a no-break space and a zero-width joiner', 'a\u00a0b\u200dc'],
    ['the empty string', ''],
  ])('takes %s', (_name, text) => {
    expect(isCleanText(text)).toBe(true);
    expect(() => checkText(text, 'A password')).not.toThrow();
  });
});
