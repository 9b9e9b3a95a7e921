import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeKey, keyring, type Keyring } from './crypto.ts';

/**
 * A keyring kept in a file (mode 0600), for machines where nobody configured one: generated on
 * first use, then read. Several processes starting at once agree on one file (the first to
 * create it wins; the others read it).
 *
 * File format: `{"keys": [{"version": 2, "key": "<64 hex>"}, …]}`, current first.
 */
export interface KeyFile {
  keys: Keyring;
  /** True when this call wrote the file. */
  created: boolean;
}

/**
 * Reads the keyring in `file`, creating it with one random key when it does not exist. With
 * `legacy` (secrets may already be sealed with that old key), the new key is version 2 and
 * `legacy` is kept as version 1, which only opens what it sealed before.
 */
export function loadOrCreateKeyFile(file: string, opts: { legacy?: Buffer } = {}): KeyFile {
  const existing = read(file);
  if (existing) return { keys: existing, created: false };
  const fresh = randomBytes(32);
  const entries: Array<{ version: number; key: string }> = opts.legacy
    ? [
        { version: 2, key: fresh.toString('hex') },
        { version: 1, key: opts.legacy.toString('hex') },
      ]
    : [{ version: 1, key: fresh.toString('hex') }];
  mkdirSync(path.dirname(file), { recursive: true });
  // Written whole to a private temporary file, then linked into place: a reader never sees half
  // a file, and a second process starting at the same moment finds the first one's (EEXIST).
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ keys: entries }, null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = read(file);
    if (theirs) return { keys: theirs, created: false };
    throw err;
  } finally {
    unlinkSync(temporary);
  }
  return { keys: keyring(entries.map((e) => [e.version, Buffer.from(e.key, 'hex')] as const)), created: true };
}

function read(file: string): Keyring | null {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = JSON.parse(raw) as { keys?: Array<{ version?: unknown; key?: unknown }> };
  const entries = (parsed.keys ?? []).map((e) => {
    const key = typeof e.key === 'string' ? decodeKey(e.key) : null;
    if (typeof e.version !== 'number' || !key)
      throw new Error(`${file}: every key needs a version and 32 bytes as 64 hex characters`);
    return [e.version, key] as const;
  });
  return keyring(entries);
}
