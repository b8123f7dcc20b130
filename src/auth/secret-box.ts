/**
 * Secrets the server must read back (TOTP secrets), stored encrypted: AES-256-GCM under a key
 * derived with HKDF-SHA256 (RFC 5869) from the server's own signing secret, so that a copy of
 * the database alone gives none of them (docs/SECURITY.md, "Second factor").
 *
 * The input key is the secret the server already has to keep: JWT_SECRET (or the generated
 * HS256 secret in DATA_DIR), or for RS256, ES256 and EdDSA the private key's PKCS#8 bytes.
 * HKDF with its own `info` makes a key that is independent of the signing use. The same
 * configured key must stay: under another one the stored secrets cannot be decrypted.
 *
 * Each box is `v1.<kid>.<base64url(iv ‖ tag ‖ ciphertext)>`: a fresh 96-bit IV per
 * encryption, the 128-bit tag, and the key's id (an HMAC of a label, which tells nothing of
 * the key) so that a box sealed under another key is named as such rather than as corrupt.
 * `context` (the user id) is bound as additional data: a box copied to another row fails.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { SigningKeys } from './keys';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  private readonly key: Buffer;
  readonly kid: string;

  constructor(inputKey: Buffer, purpose: string) {
    this.key = Buffer.from(
      hkdfSync('sha256', inputKey, 'graphql-jwt-auth secret box', `${purpose} ${VERSION}`, 32),
    );
    this.kid = createHmac('sha256', this.key).update('kid').digest('base64url').slice(0, 8);
  }

  /** A box for `purpose` under the server's signing key (see the module comment). */
  static fromSigningKeys(keys: SigningKeys, purpose: string): SecretBox {
    return new SecretBox(signingKeyBytes(keys.signingKey), purpose);
  }

  seal(plaintext: Buffer, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const payload = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
    return `${VERSION}.${this.kid}.${payload}`;
  }

  /** Throws an Error saying why when the box is not ours, not for `context`, or altered. */
  open(box: string, context: string): Buffer {
    const [version, kid, payload, ...rest] = box.split('.');
    if (version !== VERSION || payload === undefined || rest.length > 0) {
      throw new Error('not a sealed secret of this server');
    }
    if (kid !== this.kid) {
      throw new Error(
        'sealed under another key: JWT_SECRET or JWT_PRIVATE_KEY_FILE changed since it was stored',
      );
    }
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('a sealed secret is cut short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new Error('a sealed secret does not authenticate: altered, or stored for another row');
    }
  }
}

/** The secret bytes behind a signing key: an HMAC secret's own, or a private key's PKCS#8. */
function signingKeyBytes(key: KeyObject): Buffer {
  if (key.type === 'secret') return key.export();
  return key.export({ format: 'der', type: 'pkcs8' });
}
