/**
 * TOTP, RFC 6238: HOTP (RFC 4226) of the number of 30-second steps since the epoch, with
 * HMAC-SHA1 and 6 digits, the parameters every authenticator app uses by default. A code is
 * accepted for its own step and one step either side, for clocks that drift and codes typed
 * just as they change (RFC 6238 §5.2 recommends at most one step back).
 *
 * Written here rather than taken from a package: the algorithm is a dozen lines over
 * node:crypto's HMAC, a dependency would bring more code than that to audit and keep current,
 * and the RFC's own test vectors (RFC 6238 Appendix B, RFC 4226 Appendix D) pin it in
 * src/auth/__tests__/totp.test.ts. Base32 (RFC 4648 §6) is here for the same reason: it is how
 * authenticator apps take the secret.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted either side of the current one. */
export const TOTP_DRIFT_STEPS = 1;
/** RFC 4226 §4 asks for at least 128 bits and recommends 160: the size of an SHA-1 output. */
export const TOTP_SECRET_BYTES = 20;

/** HOTP value of `counter` (a whole number, up to 2^53), `digits` long with leading zeros. */
export function hotp(secret: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(message).digest();
  // Dynamic truncation (RFC 4226 §5.3): 31 bits from the offset the last nibble names.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The time step of `nowMs`: whole periods since the Unix epoch (RFC 6238 §4.2, T0 = 0). */
export function timeStep(nowMs: number, periodSeconds = TOTP_PERIOD_SECONDS): number {
  return Math.floor(nowMs / 1000 / periodSeconds);
}

/** The TOTP code at `nowMs`. */
export function totp(secret: Buffer, nowMs: number, digits = TOTP_DIGITS): string {
  return hotp(secret, timeStep(nowMs), digits);
}

/** Six digits, nothing else: what `matchingStep` may accept. */
export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code);
}

/**
 * The newest step within the drift window whose code is `code`, or undefined. Every candidate
 * is compared in constant time, so the answer's timing tells nothing about which one matched.
 * Whether the step was used already is the caller's to check (the store keeps the last one).
 */
export function matchingStep(secret: Buffer, code: string, nowMs: number): number | undefined {
  if (!isTotpCode(code)) return undefined;
  const current = timeStep(nowMs);
  const given = Buffer.from(code);
  let found: number | undefined;
  for (let step = current - TOTP_DRIFT_STEPS; step <= current + TOTP_DRIFT_STEPS; step++) {
    if (timingSafeEqual(Buffer.from(hotp(secret, step)), given)) found = step;
  }
  return found;
}

export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (authenticator apps take it so). */
export function base32Encode(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The bytes of an RFC 4648 base32 string (case, spaces and padding ignored); throws on others. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index === -1) throw new Error(`"${char}" is not a base32 character`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/**
 * The otpauth URI authenticator apps read from the QR code (the Key Uri Format of Google
 * Authenticator, which the other apps follow): the label is `issuer:account`, and the issuer is
 * repeated as a parameter, as that format recommends.
 */
export function otpauthUri(options: { issuer: string; account: string; secret: string }): string {
  const label = `${encodeURIComponent(options.issuer)}:${encodeURIComponent(options.account)}`;
  const query = [
    `secret=${options.secret}`,
    `issuer=${encodeURIComponent(options.issuer)}`,
    'algorithm=SHA1',
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD_SECONDS}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}
