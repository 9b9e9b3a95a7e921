import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hash,
  randomBytes,
  randomFillSync,
  timingSafeEqual,
} from 'node:crypto';

const POOL_SIZE = 8192;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/**
 * `bytes` from the operating system's CSPRNG, like `randomBytes`, but drawn from a buffer
 * refilled 8 KB at a time: every page needs a few small random values (the CSP nonce, the CSRF
 * mask), and one `randomBytes` call per value showed as ~5% of a page's CPU in profiles. Each
 * byte is handed out once (the same technique as Node's own `randomUUID`). Over 256 bytes:
 * read directly.
 */
export function secureRandomBytes(bytes: number): Buffer {
  if (bytes > 256) return randomBytes(bytes);
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + bytes));
  poolOffset += bytes;
  return out;
}

/** A URL-safe random token with `bytes` of entropy (default 256 bits). */
export function randomToken(bytes = 32): string {
  return secureRandomBytes(bytes).toString('base64url');
}

/** SHA-256 of a token, as stored in the database (tokens themselves are never stored). */
export function hashToken(token: string): Buffer {
  // One call, no Hash object: half the cost of createHash, and every signed-in request hashes its cookie.
  return hash('sha256', token, 'buffer');
}

/** Constant-time string comparison that does not leak length through early exit. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * AES-256-GCM keys by version, for secrets at rest. New secrets are sealed with the current
 * key; a sealed value names its key's version, so values sealed before a rotation still open
 * while the old key stays listed. Versions are positive integers.
 */
export interface Keyring {
  /** The version new secrets are sealed with. */
  readonly current: number;
  /** The 32-byte key of `version`, if this keyring has it. */
  key(version: number): Buffer | undefined;
}

/** A keyring of `[version, key]` pairs; the first is current. Throws on a duplicate version or a key that is not 32 bytes. */
export function keyring(entries: ReadonlyArray<readonly [number, Buffer]>): Keyring {
  const keys = new Map<number, Buffer>();
  for (const [version, key] of entries) {
    if (!Number.isInteger(version) || version < 1) throw new Error(`key version ${version} is not a positive integer`);
    if (keys.has(version)) throw new Error(`key version ${version} is listed twice`);
    if (key.length !== 32) throw new Error(`key version ${version} is not 32 bytes`);
    keys.set(version, key);
  }
  const first = entries[0];
  if (!first) throw new Error('a keyring needs at least one key');
  return { current: first[0], key: (version) => keys.get(version) };
}

/** Seals `plaintext` with the current key: `v<version>.<iv>.<tag>.<ciphertext>`, base64url parts. */
export function encryptSecret(keys: Keyring, plaintext: string): string {
  const version = keys.current;
  const key = keys.key(version);
  if (!key) throw new Error(`no key for the current version ${version}`);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [`v${version}`, ...[iv, cipher.getAuthTag(), ct].map((p) => p.toString('base64url'))].join('.');
}

/** Opens a value sealed by `encryptSecret` with whichever listed key sealed it; throws if that key is gone or the value was altered. */
export function decryptSecret(keys: Keyring, sealed: string): string {
  const [, iv, tag, ct] = sealed.split('.');
  const version = sealedVersion(sealed);
  if (version === null || !iv || !tag || ct === undefined) throw new Error('Unsupported secret format');
  const key = keys.key(version);
  if (!key) throw new Error(`The key that sealed this secret (version ${version}) is not configured`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}

/** The key version a sealed value names, or null when it is not one. */
export function sealedVersion(sealed: string): number | null {
  const m = /^v([1-9]\d{0,8})\./.exec(sealed);
  return m ? Number(m[1]) : null;
}

/** A 32-byte key written as 64 hex characters or base64, or null when it is not one. */
export function decodeKey(raw: string): Buffer | null {
  const buf = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  return buf.length === 32 ? buf : null;
}

const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** A human-typable random code (no 0/o, 1/l/i), uniformly drawn. */
export function randomCode(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length)) {
      // 248 = 8 × 31: rejecting bytes above it keeps every character equally likely.
      if (b < 248 && out.length < length) out += CODE_ALPHABET[b % CODE_ALPHABET.length];
    }
  }
  return out;
}
