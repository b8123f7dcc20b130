/**
 * TOTP (src/auth/totp.ts) against the RFCs' own test vectors, and the drift window.
 */
import fc from 'fast-check';
import {
  base32Decode,
  base32Encode,
  hotp,
  matchingStep,
  otpauthUri,
  timeStep,
  totp,
} from '../totp';

/** The SHA-1 secret of RFC 4226 Appendix D and RFC 6238 Appendix B. */
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

describe('HOTP, RFC 4226 Appendix D', () => {
  it.each([
    [0, '755224'],
    [1, '287082'],
    [2, '359152'],
    [3, '969429'],
    [4, '338314'],
    [5, '254676'],
    [6, '287922'],
    [7, '162583'],
    [8, '399871'],
    [9, '520489'],
  ])('counter %i is %s', (counter, code) => {
    expect(hotp(RFC_SECRET, counter)).toBe(code);
  });
});

describe('TOTP, RFC 6238 Appendix B (SHA1)', () => {
  // The RFC lists 8 digits; the 6-digit code is the same number modulo 10^6.
  it.each([
    [59, '94287082', '287082'],
    [1111111109, '07081804', '081804'],
    [1111111111, '14050471', '050471'],
    [1234567890, '89005924', '005924'],
    [2000000000, '69279037', '279037'],
    [20000000000, '65353130', '353130'], // step 666666666: past 32 bits of seconds, not of steps
  ])('at %i s: %s, and %s with 6 digits', (seconds, eight, six) => {
    expect(totp(RFC_SECRET, seconds * 1000, 8)).toBe(eight);
    expect(totp(RFC_SECRET, seconds * 1000)).toBe(six);
  });

  it('counts 30-second steps from the epoch', () => {
    expect(timeStep(0)).toBe(0);
    expect(timeStep(29_999)).toBe(0);
    expect(timeStep(30_000)).toBe(1);
    expect(timeStep(59_000)).toBe(1);
  });
});

describe('matchingStep: one step of drift either way', () => {
  const now = 1_900_000_000_000;
  const step = timeStep(now);
  const codeAt = (s: number) => hotp(RFC_SECRET, s);

  it.each([
    ['the current step', 0],
    ['the step before (a slow clock, or a code typed as it changed)', -1],
    ['the step after (a fast clock)', 1],
  ])('accepts the code of %s', (_name, offset) => {
    expect(matchingStep(RFC_SECRET, codeAt(step + offset), now)).toBe(step + offset);
  });

  it.each([-3, -2, 2, 3])('refuses the code of %i steps away', (offset) => {
    const code = codeAt(step + offset);
    // A code of a far step may by chance equal one inside the window; these do not.
    const inWindow = [-1, 0, 1].map((o) => codeAt(step + o));
    expect(inWindow).not.toContain(code);
    expect(matchingStep(RFC_SECRET, code, now)).toBeUndefined();
  });

  it('holds the code for the whole of its step, and a step either side', () => {
    const start = step * 30_000;
    const code = codeAt(step);
    for (const at of [start - 30_000, start, start + 29_999, start + 59_999]) {
      expect(matchingStep(RFC_SECRET, code, at)).toBe(step);
    }
    expect(matchingStep(RFC_SECRET, code, start - 30_001)).toBeUndefined();
    expect(matchingStep(RFC_SECRET, code, start + 60_000)).toBeUndefined();
  });

  it.each(['', '12345', '1234567', '12345a', ' 123456', '１２３４５６'])(
    'refuses %j, which is no six-digit code',
    (code) => {
      expect(matchingStep(RFC_SECRET, code, now)).toBeUndefined();
    },
  );
});

describe('base32, RFC 4648 §10', () => {
  it.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('%j is %j (without padding)', (text, encoded) => {
    expect(base32Encode(Buffer.from(text))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(text);
  });

  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(base32Decode(base32Encode(Buffer.from(bytes)))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('ignores case, spaces and padding, and refuses other characters', () => {
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZXW1')).toThrow(/base32/);
  });
});

describe('otpauthUri', () => {
  it('names issuer and account, and the parameters apps must not guess', () => {
    expect(otpauthUri({ issuer: 'graphql-auth', account: 'alice', secret: 'MZXW6YTBOI' })).toBe(
      'otpauth://totp/graphql-auth:alice?secret=MZXW6YTBOI&issuer=graphql-auth&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('escapes what would end the label or the parameter', () => {
    const uri = otpauthUri({ issuer: 'Acme & Co', account: 'kate@example', secret: 'MY' });
    expect(uri).toBe(
      'otpauth://totp/Acme%20%26%20Co:kate%40example?secret=MY&issuer=Acme%20%26%20Co&algorithm=SHA1&digits=6&period=30',
    );
  });
});
