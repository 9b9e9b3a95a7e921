import { hash, verify } from '@node-rs/bcrypt';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CODE_DIR } from '../../paths.ts';

let common: Set<string> | null = null;
/**
 * Whether `password` is on our list of the most common passwords (common-passwords.txt,
 * compared lower-cased): the first ones any guesser tries, whatever the lockouts allow.
 */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(
    // Beside this file; the build copies it to dist/ (src/paths.ts: CODE_DIR is dist/ when compiled).
    readFileSync(path.join(CODE_DIR, 'src', 'domain', 'accounts', 'common-passwords.txt'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return common.has(password.toLowerCase());
}

export const COMMON_PASSWORD = 'This is one of the most common passwords, which are guessed first. Choose another.';

/**
 * Every new password (sign-up, change, reset, pages and API). bcrypt reads at most 72 bytes;
 * longer passwords would be silently truncated, so refuse them.
 */
export const passwordSchema = z
  .string({ error: 'Enter a password.' })
  .refine((p) => Buffer.byteLength(p, 'utf8') >= 8, 'Use at least 8 characters.')
  .refine((p) => Buffer.byteLength(p, 'utf8') <= 72, 'Use at most 72 bytes (about 72 characters).')
  .refine((p) => !isCommonPassword(p), COMMON_PASSWORD);

export function hashPassword(password: string, cost: number): Promise<string> {
  return hash(password, { cost });
}

export async function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  try {
    return await verify(password, passwordHash);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | null = null;
/** Spends the same bcrypt work for an unknown account as for a real one (no timing oracle). */
export async function burnPasswordCheck(password: string, cost: number): Promise<void> {
  dummy ??= hash('not-a-real-password', { cost });
  await verifyPassword(password, await dummy);
}
