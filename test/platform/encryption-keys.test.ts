import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseKeyring } from '../../src/config.ts';
import { beginTotpSetup, confirmTotpSetup, verifySecondFactor } from '../../src/domain/accounts/two-factor.ts';
import { decryptSecret, encryptSecret, keyring } from '../../src/lib/crypto.ts';
import { createTestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, uniqueEmail } from '../helpers/people.ts';

// Secrets at rest (TOTP seeds today, provider tokens next) are sealed with a key that belongs
// to this install: configured in production, generated on a machine's first start otherwise,
// and rotatable: new secrets use the current key, old ones open while their key is listed.

const hex = () => randomBytes(32).toString('hex');
const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skypanel-keys-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('rotating encryption keys', () => {
  it('opens what the old key sealed and seals new secrets with the new one', () => {
    const [oldKey, newKey] = [hex(), hex()];
    const before = loadConfig({ NODE_ENV: 'test', ENCRYPTION_KEY: oldKey }).encryptionKeys;
    const sealedBefore = encryptSecret(before, 'JBSWY3DPEHPK3PXP');
    expect(sealedBefore.startsWith('v1.')).toBe(true);

    const after = loadConfig({ NODE_ENV: 'test', ENCRYPTION_KEYS: `2:${newKey},1:${oldKey}` }).encryptionKeys;
    expect(decryptSecret(after, sealedBefore)).toBe('JBSWY3DPEHPK3PXP');
    const sealedAfter = encryptSecret(after, 'KRSXG5CTMVRXEZLU');
    expect(sealedAfter.startsWith('v2.')).toBe(true);
    expect(decryptSecret(after, sealedAfter)).toBe('KRSXG5CTMVRXEZLU');
    // The old key alone cannot open the new secret; dropping the old key loses what only it sealed.
    expect(() => decryptSecret(before, sealedAfter)).toThrow(/version 2/);
    expect(() => decryptSecret(parseKeyring(`2:${newKey}`), sealedBefore)).toThrow(/version 1/);
  });

  it('still opens a value sealed before keyrings existed with the same ENCRYPTION_KEY (it was version 1)', () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([cipher.update('old seed', 'utf8'), cipher.final()]);
    const legacy = [
      'v1',
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join('.');
    expect(
      decryptSecret(loadConfig({ NODE_ENV: 'test', ENCRYPTION_KEY: key.toString('hex') }).encryptionKeys, legacy),
    ).toBe('old seed');
  });

  it('refuses a value that was altered', () => {
    const keys = keyring([[1, randomBytes(32)]]);
    const sealed = encryptSecret(keys, 'secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('forged').toString('base64url');
    expect(() => decryptSecret(keys, parts.join('.'))).toThrow();
  });

  it('reads ENCRYPTION_KEYS current first, and says what is wrong with a bad one', () => {
    const keys = loadConfig({
      NODE_ENV: 'test',
      ENCRYPTION_KEYS: `3:${hex()}, 1:${randomBytes(32).toString('base64')}`,
    }).encryptionKeys;
    expect(keys.current).toBe(3);
    expect(keys.key(1)).toHaveLength(32);
    expect(keys.key(2)).toBeUndefined();
    expect(problems({ ENCRYPTION_KEYS: hex() })[0]).toMatch(
      /^ENCRYPTION_KEYS: write versioned keys as <version>:<key>/,
    );
    expect(problems({ ENCRYPTION_KEYS: `2:${hex()},2:${hex()}` })).toEqual([
      'ENCRYPTION_KEYS: key version 2 is listed twice',
    ]);
    expect(problems({ ENCRYPTION_KEYS: '1:short' })).toEqual([
      'ENCRYPTION_KEYS: key version 1 must be 32 bytes as 64 hex characters or base64',
    ]);
    expect(problems({ ENCRYPTION_KEY: hex(), ENCRYPTION_KEYS: `1:${hex()}` })[0]).toMatch(
      /^ENCRYPTION_KEY \/ ENCRYPTION_KEYS: set one of them/,
    );
  });

  it('keeps TOTP working across a rotation: a seed sealed with the old key still verifies, a new one is sealed with the new key', async () => {
    const [oldKey, newKey] = [hex(), hex()];
    const before = await createTestContext({ ENCRYPTION_KEY: oldKey });
    const after = await createTestContext(
      { ENCRYPTION_KEYS: `2:${newKey},1:${oldKey}` },
      { shareDatabase: { url: before.url, db: before.db } },
    );
    try {
      const code = (secret: string, ctx: typeof before) =>
        generate({ secret, epoch: Math.floor(ctx.clock.now().getTime() / 1000) });
      const ann = await createPerson(before, 'Ann Rotation', { email: uniqueEmail('Ann Rotation') });
      const { secret } = await beginTotpSetup(before.deps, ann.id, PASSWORD);
      await confirmTotpSetup(before.deps, ann.id, await code(secret, before));
      const sealed = (
        await before.db.selectFrom('users').select('totp_secret').where('id', '=', ann.id).executeTakeFirstOrThrow()
      ).totp_secret!;
      expect(sealed.startsWith('v1.')).toBe(true);

      after.clock.advance(60_000); // the next TOTP step: the code above was spent
      expect(await verifySecondFactor(after.deps, ann.id, await code(secret, after))).toBe('totp');

      const bob = await createPerson(after, 'Bob Rotation', { email: uniqueEmail('Bob Rotation') });
      await beginTotpSetup(after.deps, bob.id, PASSWORD);
      const bobSealed = (
        await after.db.selectFrom('users').select('totp_secret').where('id', '=', bob.id).executeTakeFirstOrThrow()
      ).totp_secret!;
      expect(bobSealed.startsWith('v2.')).toBe(true);
    } finally {
      await after.close();
      await before.close();
    }
  });
});

describe('outside production, without a configured key', () => {
  it('generates a key on first use beside the embedded database, private to its owner, and keeps it', () => {
    const dir = scratch();
    const env = { EMBEDDED_PG_DIR: path.join(dir, 'postgres') };
    const file = path.join(dir, 'encryption-keys.json');
    const first = loadConfig(env);
    expect(first.encryptionKeyFile).toBe(file);
    expect(existsSync(file)).toBe(false); // nothing is written until a key is needed
    const sealed = encryptSecret(first.encryptionKeys, 'seed');

    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.encryptionKeys.current).toBe(1);
    expect(decryptSecret(loadConfig(env).encryptionKeys, sealed)).toBe('seed'); // the next start reads the same key
  });

  it('gives every install its own key', () => {
    const [a, b] = [scratch(), scratch()].map(
      (dir) => loadConfig({ EMBEDDED_PG_DIR: path.join(dir, 'postgres') }).encryptionKeys,
    );
    const sealed = encryptSecret(a!, 'seed');
    expect(() => decryptSecret(b!, sealed)).toThrow();
    expect(a!.key(1)!.equals(Buffer.alloc(32, 7))).toBe(false); // not the key every install once shared
  });

  it('on an install whose database already existed, keeps reading what the former built-in key sealed, and seals with the new one', () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'postgres.credentials.json'), '{"password":"x"}');
    const formerlySealed = encryptSecret(keyring([[1, Buffer.alloc(32, 7)]]), 'old seed');
    const keys = loadConfig({ EMBEDDED_PG_DIR: path.join(dir, 'postgres') }).encryptionKeys;
    expect(decryptSecret(keys, formerlySealed)).toBe('old seed');
    expect(keys.current).toBe(2);
    expect(encryptSecret(keys, 'new seed').startsWith('v2.')).toBe(true);
    const stored = JSON.parse(readFileSync(path.join(dir, 'encryption-keys.json'), 'utf8')) as {
      keys: Array<{ version: number }>;
    };
    expect(stored.keys.map((k) => k.version)).toEqual([2, 1]);
  });

  it('with DATABASE_URL, refuses to start unless PUBLIC_URL is loopback, where it generates one too', () => {
    const database = { DATABASE_URL: 'postgres://app@db.example.test/skypanel' };
    expect(problems({ ...database, PUBLIC_URL: 'https://panel.example.com' })).toEqual([
      'ENCRYPTION_KEY: required with DATABASE_URL when PUBLIC_URL is not a loopback address (every server sharing the database needs the same key: openssl rand -hex 32)',
    ]);
    expect(problems({ ...database, PUBLIC_URL: 'https://panel.example.com', ENCRYPTION_KEY: hex() })).toEqual([]);
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000']) {
      const dir = scratch();
      const c = loadConfig({ ...database, PUBLIC_URL: url, EMBEDDED_PG_DIR: path.join(dir, 'postgres') });
      expect(c.encryptionKeys.key(c.encryptionKeys.current)).toHaveLength(32);
      expect(existsSync(path.join(dir, 'encryption-keys.json'))).toBe(true);
    }
  });
});
