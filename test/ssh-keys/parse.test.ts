import { describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../src/domain/ssh-keys/parse.ts';
import { ValidationError } from '../../src/lib/errors.ts';
import { KEYS } from './fixtures.ts';

/** The message a refused key gets on `public_key`. */
function refusal(line: string): string {
  try {
    parsePublicKey(line);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).fields!.public_key!;
  }
  throw new Error('the key was accepted');
}

/** An SSH wire-format string (uint32 length + bytes). */
const str = (b: Buffer | string) => {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
};

describe('reading OpenSSH public keys', () => {
  it('reads Ed25519, RSA 2048, ECDSA P-256/384/521 and a security-key Ed25519 key with the fingerprint ssh-keygen prints', () => {
    for (const name of ['ed25519', 'rsa2048', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'skEd25519'] as const) {
      const key = parsePublicKey(KEYS[name].line);
      expect(key.fingerprint, name).toBe(KEYS[name].fingerprint);
      expect(key.type, name).toBe(KEYS[name].line.split(' ')[0]);
    }
    expect(parsePublicKey(KEYS.rsa2048.line).bits).toBe(2048);
    expect(parsePublicKey(KEYS.ecdsa521.line).bits).toBe(521);
  });

  it('keeps the comment, tidies the spacing, and accepts a key with no comment', () => {
    const [type, data] = KEYS.ed25519.line.split(' ');
    const key = parsePublicKey(`  ${type}\t${data}   olive at  work \n`);
    expect(key.comment).toBe('olive at work');
    expect(key.publicKey).toBe(`${type} ${data} olive at work`);
    const bare = parsePublicKey(`${type} ${data}`);
    expect(bare.comment).toBeNull();
    expect(bare.publicKey).toBe(`${type} ${data}`);
    expect(bare.fingerprint).toBe(KEYS.ed25519.fingerprint);
    expect(parsePublicKey(KEYS.ecdsa256.line).comment).toBeNull();
  });

  it('refuses an RSA key under 2048 bits, saying how many it has', () => {
    expect(refusal(KEYS.rsa1024.line)).toMatch(/1024 bits; use at least 2048/);
  });

  it('refuses a private key, DSA, other formats, several lines and an empty paste', () => {
    expect(
      refusal('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----'),
    ).toMatch(/private key/);
    expect(refusal('ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4Ed user')).toMatch(/DSA keys are no longer safe/);
    expect(refusal('---- BEGIN SSH2 PUBLIC KEY ----')).toMatch(/OpenSSH format/);
    expect(refusal(`${KEYS.ed25519.line}\n${KEYS.rsa2048.line}`)).toMatch(/one key, on one line/);
    expect(refusal('   ')).toMatch(/Paste a public key/);
    expect(refusal('AAAAC3NzaC1lZDI1NTE5AAAAIJgzOJQE')).toMatch(/starting with ssh-ed25519/);
  });

  it('refuses data that is not base64, is cut short, or carries extra bytes', () => {
    const [type, data] = KEYS.ed25519.line.split(' ') as [string, string];
    expect(refusal(`${type} ${data.slice(0, -4)}!!!!`)).toMatch(/not valid base64/);
    expect(refusal(`${type} ${data.slice(0, 40)}`)).toMatch(/cut short|base64/);
    const blob = Buffer.from(data, 'base64');
    expect(refusal(`${type} ${Buffer.concat([blob, str('x')]).toString('base64')}`)).toMatch(/extra data/);
    expect(refusal(`${type} ${Buffer.concat([str(type), str(Buffer.alloc(31))]).toString('base64')}`)).toMatch(
      /not 32 bytes/,
    );
  });

  it('refuses a key whose data is of another type than its label says', () => {
    const rsaData = KEYS.rsa2048.line.split(' ')[1];
    expect(refusal(`ssh-ed25519 ${rsaData}`)).toMatch(/type and data do not match/);
    const ecData = KEYS.ecdsa256.line.split(' ')[1];
    expect(refusal(`ecdsa-sha2-nistp384 ${ecData}`)).toMatch(/type and data do not match/);
  });

  it('refuses an ECDSA key whose point is not on its curve or whose curve does not match', () => {
    const blob = Buffer.from(KEYS.ecdsa256.line.split(' ')[1]!, 'base64');
    const bent = Buffer.from(blob);
    bent[bent.length - 1] = bent[bent.length - 1]! ^ 0x01;
    expect(refusal(`ecdsa-sha2-nistp256 ${bent.toString('base64')}`)).toMatch(/not on its curve/);
    const point = blob.subarray(blob.length - 65);
    const wrongCurve = Buffer.concat([str('ecdsa-sha2-nistp256'), str('nistp384'), str(point)]);
    expect(refusal(`ecdsa-sha2-nistp256 ${wrongCurve.toString('base64')}`)).toMatch(/curve does not match/);
  });

  it('refuses a comment with control characters or over 200 characters', () => {
    expect(refusal(`${KEYS.ed25519.line.split(' ').slice(0, 2).join(' ')} ${'x'.repeat(201)}`)).toMatch(/200/);
    expect(refusal(`${KEYS.ed25519.line} \u0007bell`)).toMatch(/printable/);
  });
});
