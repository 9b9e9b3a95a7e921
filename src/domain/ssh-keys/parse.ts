import { createHash, createPublicKey } from 'node:crypto';
import { ValidationError } from '../../lib/errors.ts';

/**
 * OpenSSH public keys (one `authorized_keys` line without options: `<type> <base64> [comment]`),
 * checked the way sshd would read them: a type we accept, strict base64, a blob whose own type
 * names the same algorithm and whose fields are whole (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709,
 * OpenSSH PROTOCOL.u2f), nothing left over. RSA keys need at least 2048 bits; DSA is refused
 * (OpenSSH turned it off in 7.0). The fingerprint is what `ssh-keygen -l` prints:
 * `SHA256:` + the unpadded base64 of the blob's SHA-256.
 */

export const KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export interface ParsedKey {
  type: KeyType;
  /** `type base64` plus the comment when there is one: the line given to servers. */
  publicKey: string;
  comment: string | null;
  fingerprint: string;
  /** RSA: the modulus size; others: the curve's size. */
  bits: number;
}

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 16384;
/** Longer than any key we accept (a 16384-bit RSA key is about 2.8 KB), so a pasted private key or file is refused early. */
export const MAX_KEY_LENGTH = 8192;
const MAX_COMMENT = 200;
const CURVES: Record<string, { size: number; point: number; jwk: string }> = {
  nistp256: { size: 256, point: 65, jwk: 'P-256' },
  nistp384: { size: 384, point: 97, jwk: 'P-384' },
  nistp521: { size: 521, point: 133, jwk: 'P-521' },
};

const refuse = (message: string) => new ValidationError({ public_key: message });

/** Reads the SSH wire format's length-prefixed strings (RFC 4251 §5). */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  string(): Buffer {
    if (this.at + 4 > this.buf.length) throw refuse('This key is cut short: paste the whole line.');
    const len = this.buf.readUInt32BE(this.at);
    const start = this.at + 4;
    if (start + len > this.buf.length) throw refuse('This key is cut short: paste the whole line.');
    this.at = start + len;
    return this.buf.subarray(start, this.at);
  }
  text(): string {
    return this.string().toString('latin1');
  }
  done(): void {
    if (this.at !== this.buf.length) throw refuse('This key has extra data after it: it is not a valid public key.');
  }
}

/** The number of significant bits of an unsigned big-endian integer (an mpint's magnitude). */
function bitLength(mpint: Buffer): number {
  let i = 0;
  while (i < mpint.length && mpint[i] === 0) i++;
  if (i === mpint.length) return 0;
  return (mpint.length - i - 1) * 8 + (32 - Math.clz32(mpint[i]!));
}

function checkPoint(curve: string, point: Buffer): number {
  const c = CURVES[curve];
  if (!c) throw refuse('This key names an elliptic curve we do not accept.');
  if (point.length !== c.point || point[0] !== 4) throw refuse('This key’s point is not valid for its curve.');
  const half = (c.point - 1) / 2;
  try {
    // OpenSSL checks the point lies on the curve.
    createPublicKey({
      key: {
        kty: 'EC',
        crv: c.jwk,
        x: point.subarray(1, 1 + half).toString('base64url'),
        y: point.subarray(1 + half).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch {
    throw refuse('This key’s point is not on its curve: it is not a valid public key.');
  }
  return c.size;
}

/** The key fields after the blob's type, per algorithm; returns the key's size in bits. */
function readKey(type: KeyType, r: Reader): number {
  switch (type) {
    case 'ssh-ed25519':
    case 'sk-ssh-ed25519@openssh.com': {
      if (r.string().length !== 32) throw refuse('This Ed25519 key is not 32 bytes long.');
      if (type.startsWith('sk-')) r.text(); // the security key's application ("ssh:")
      return 256;
    }
    case 'ssh-rsa': {
      const e = r.string();
      const n = r.string();
      const bits = bitLength(n);
      if (bitLength(e) === 0 || bitLength(e) > 64) throw refuse('This RSA key’s exponent is not valid.');
      if (bits < MIN_RSA_BITS)
        throw refuse(`This RSA key has ${bits} bits; use at least ${MIN_RSA_BITS} (or an Ed25519 key).`);
      if (bits > MAX_RSA_BITS) throw refuse(`This RSA key has ${bits} bits; at most ${MAX_RSA_BITS} are accepted.`);
      return bits;
    }
    default: {
      const expected = type
        .replace(/^sk-/, '')
        .replace(/@openssh\.com$/, '')
        .replace('ecdsa-sha2-', '');
      const curve = r.text();
      if (curve !== expected) throw refuse('This key’s curve does not match its type.');
      const size = checkPoint(curve, r.string());
      if (type.startsWith('sk-')) r.text();
      return size;
    }
  }
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses one OpenSSH public key line; a ValidationError on `public_key` says what is wrong, in words. */
export function parsePublicKey(raw: string): ParsedKey {
  const line = raw.trim();
  if (!line) throw refuse('Paste a public key.');
  if (line.length > MAX_KEY_LENGTH) throw refuse('This is too long for a public key.');
  if (/PRIVATE KEY/.test(line))
    throw refuse('This is a private key. Never share it: paste the public key (the .pub file) instead.');
  if (/[\r\n]/.test(line)) throw refuse('Paste one key, on one line.');
  if (/^----/.test(line))
    throw refuse('This key is in another format: paste it in OpenSSH format (ssh-keygen -i -f key.pub converts it).');
  const [type, data, ...rest] = line.split(/[ \t]+/);
  if (!KEY_TYPES.includes(type as KeyType)) {
    const hint = type === 'ssh-dss' ? ' DSA keys are no longer safe.' : '';
    throw refuse(
      `Use an OpenSSH public key starting with ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 or sk-ssh-ed25519@openssh.com.${hint}`,
    );
  }
  if (!data || data.length % 4 !== 0 || !BASE64.test(data)) throw refuse('The key’s data is not valid base64.');
  const blob = Buffer.from(data, 'base64');
  if (blob.toString('base64') !== data) throw refuse('The key’s data is not valid base64.');
  const r = new Reader(blob);
  if (r.text() !== type) throw refuse(`This key’s data is not a ${type} key: its type and data do not match.`);
  const bits = readKey(type as KeyType, r);
  r.done();
  const comment = rest.join(' ').trim() || null;
  if (comment && (comment.length > MAX_COMMENT || /[\u0000-\u001f\u007f]/.test(comment)))
    throw refuse(`Keep the key’s comment to ${MAX_COMMENT} printable characters.`);
  return {
    type: type as KeyType,
    publicKey: comment ? `${type} ${data} ${comment}` : `${type} ${data}`,
    comment,
    fingerprint: fingerprintOf(blob),
    bits,
  };
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
