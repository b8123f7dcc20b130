/**
 * Signing keys that rotate without a logout (docs/API.md, "Signing keys"), read top to bottom.
 *
 * The configured key (JWT_SECRET, the generated secret, or JWT_PRIVATE_KEY_FILE) is the first
 * key of the ring; `admin rotate-key` adds keys to the database, sealed under it
 * (secret-box.ts). Each key has a moment it starts to sign, `activatesAt`, set a little after
 * it is stored: every instance learns of a key (a Redis notice, or polling) before any instance
 * signs with it, so a token signed by a new key is never refused by an instance that has not
 * heard of it. The newest active key signs; a key that a newer one replaced still verifies for
 * one access-token lifetime after it stopped signing (the tokens it signed expire by then), and
 * is then retired: left out of verification and the JWKS, and deleted from the database.
 */
import {
  createPrivateKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { JwtAlgorithm } from '../config';
import {
  asymmetricKey,
  checkKeyFitsAlgorithm,
  hs256Key,
  type KeyEntry,
  type SigningKeys,
} from './keys';
import { SecretBox } from './secret-box';
import type { StoredSigningKey } from '../store/signing-key-store';

/** The SecretBox purpose of stored signing keys: its own key, apart from TOTP secrets. */
const PURPOSE = 'signing key';

interface RingKey {
  readonly entry: KeyEntry;
  /** Milliseconds; -Infinity for the configured key, which signs until the first rotation. */
  readonly activatesAt: number;
}

export class KeyRing implements SigningKeys {
  private keys: readonly RingKey[];
  private readonly box: SecretBox;

  constructor(
    /** The configured key: the ring's first key, and what stored keys are sealed under. */
    readonly root: SigningKeys,
    /** How long a token can be accepted after it is signed (accessTokenLifetimeSeconds). */
    private readonly lifetimeSeconds: number,
    private readonly now: () => number,
  ) {
    this.box = SecretBox.fromSigningKeys(root, PURPOSE);
    this.keys = [{ entry: root.signer(), activatesAt: -Infinity }];
  }

  get algorithm(): JwtAlgorithm {
    return this.root.algorithm;
  }

  get kid(): string {
    return this.signer().kid;
  }

  get signingKey(): KeyObject {
    return this.signer().signingKey;
  }

  get verificationKey(): KeyObject {
    return this.signer().verificationKey;
  }

  /** The newest key whose moment to sign has come. */
  signer(): KeyEntry {
    const now = this.now();
    let current = this.keys[0]!;
    for (const key of this.keys) if (key.activatesAt <= now) current = key;
    return current.entry;
  }

  verificationKeyFor(kid: unknown): KeyObject | undefined {
    return this.verifying().find((key) => key.entry.kid === kid)?.entry.verificationKey;
  }

  get jwks() {
    return { keys: this.verifying().flatMap((key) => (key.entry.jwk ? [key.entry.jwk] : [])) };
  }

  /** The stored keys, as the database has them now; a key sealed under another key throws. */
  load(stored: readonly StoredSigningKey[]): void {
    const own = stored.filter((key) => key.algorithm === this.algorithm);
    this.keys = [
      this.keys[0]!,
      ...own
        .sort(
          (a, b) =>
            a.activatesAt.getTime() - b.activatesAt.getTime() ||
            a.createdAt.getTime() - b.createdAt.getTime(),
        )
        .map((key) => ({ entry: this.unseal(key), activatesAt: key.activatesAt.getTime() })),
    ];
  }

  /** Ids of stored keys retired for good: replaced more than one token lifetime ago. */
  retired(): string[] {
    const verifying = new Set(this.verifying().map((key) => key.entry.kid));
    return this.keys
      .slice(1)
      .filter((key) => !verifying.has(key.entry.kid))
      .map((key) => key.entry.kid);
  }

  /**
   * A new key of the ring's algorithm, sealed for the database, to sign from `activatesAt`
   * (admin rotate-key). The caller stores it; instances pick it up from there.
   */
  newKey(activatesAt: Date): StoredSigningKey {
    const { entry, bytes } = generate(this.algorithm);
    return {
      kid: entry.kid,
      algorithm: this.algorithm,
      sealedKey: this.box.seal(bytes, entry.kid),
      createdAt: new Date(this.now()),
      activatesAt,
    };
  }

  /**
   * Keys that verify now: every key not yet replaced by an active newer one (the signer, and
   * keys still to come, so instances verify them before anyone signs with them), and replaced
   * keys until one token lifetime has passed since their replacement activated.
   */
  private verifying(): RingKey[] {
    const now = this.now();
    const horizon = now - this.lifetimeSeconds * 1000;
    return this.keys.filter((_key, i) => {
      const next = this.keys[i + 1];
      const replacedAt = next && next.activatesAt <= now ? next.activatesAt : undefined;
      return replacedAt === undefined || replacedAt > horizon;
    });
  }

  private unseal(key: StoredSigningKey): KeyEntry {
    const bytes = this.box.open(key.sealedKey, key.kid);
    const entry =
      this.algorithm === 'HS256'
        ? hs256Key(createSecretKey(bytes))
        : asymmetricKey(
            createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }),
            this.algorithm,
          );
    if (entry.kid !== key.kid) throw new Error(`the stored signing key ${key.kid} is not itself`);
    return entry;
  }
}

function generate(algorithm: JwtAlgorithm): { entry: KeyEntry; bytes: Buffer } {
  if (algorithm === 'HS256') {
    const bytes = randomBytes(48);
    return { entry: hs256Key(createSecretKey(bytes)), bytes };
  }
  const { privateKey } =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        : generateKeyPairSync('ed25519');
  checkKeyFitsAlgorithm(privateKey, algorithm);
  const bytes = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { entry: asymmetricKey(privateKey, algorithm), bytes };
}
