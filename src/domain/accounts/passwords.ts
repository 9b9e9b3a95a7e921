import { hash, verify } from '@node-rs/bcrypt';
import { z } from 'zod';

/** bcrypt reads at most 72 bytes; longer passwords would be silently truncated, so refuse them. */
export const passwordSchema = z
  .string({ error: 'Enter a password.' })
  .refine((p) => Buffer.byteLength(p, 'utf8') >= 8, 'Use at least 8 characters.')
  .refine((p) => Buffer.byteLength(p, 'utf8') <= 72, 'Use at most 72 bytes (about 72 characters).');

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
