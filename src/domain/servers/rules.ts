import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { isCommonPassword } from '../accounts/passwords.ts';

/**
 * The input rules a server's create and actions share: its label, its root password, the
 * name the provider knows it by, and the clock hour (the database's, never a worker's).
 */

export const LABEL = /^[a-zA-Z0-9._-]{1,64}$/;
export const LABEL_RULE = 'Use 1 to 64 letters, digits, dots, dashes or underscores.';

/** The label's problem, or null when it is a valid label. */
export function labelProblem(label: string): string | null {
  if (label === '') return 'Enter a name for the server.';
  return LABEL.test(label) ? null : LABEL_RULE;
}

/** Whether another live server of the organization already has this label (case-insensitive). */
export async function labelTaken(
  db: DbOrTx,
  organizationId: string,
  label: string,
  exceptServerId?: string,
): Promise<boolean> {
  let q = db
    .selectFrom('servers')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where(sql<string>`lower(label)`, '=', label.toLowerCase())
    .where('deleted_at', 'is', null);
  if (exceptServerId) q = q.where('id', '!=', exceptServerId);
  return (await q.executeTakeFirst()) !== undefined;
}

export const LABEL_TAKEN = 'Another server in this organization already has this name.';

/** A unique-index violation of the one-label-per-organization rule, as the form error it is. */
export function labelConflict(err: unknown): ValidationError | null {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === '23505' && e.constraint === 'servers_label_per_org'
    ? new ValidationError({ label: LABEL_TAKEN })
    : null;
}

/**
 * Root passwords. The provider scores strength itself and refuses weak ones after we have
 * charged: asking at least as much here means it does not. 11–128 characters and three of
 * lower case, upper case, digits and symbols, or a passphrase of 16+ characters with two of
 * them; never one of the most common passwords. Never stored, never logged.
 */
export function rootPasswordProblem(pw: string): string | null {
  if (pw.length < 11) return 'Use at least 11 characters.';
  if (pw.length > 128) return 'Use at most 128 characters.';
  if (/[\u0000-\u001f\u007f]/.test(pw)) return 'Use printable characters only.';
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  const strong = (classes >= 3 && pw.length >= 11) || (classes >= 2 && pw.length >= 16);
  if (!strong)
    return 'Too weak: mix upper and lower case letters, digits and symbols, or use a passphrase of 16 or more characters.';
  if (isCommonPassword(pw)) return 'This is one of the most common passwords. Choose another.';
  return null;
}

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '-_.!@#%+=';

/** A strong random root password (24 characters, every class present), shown once and never kept. */
export function generateRootPassword(): string {
  const all = LOWER + UPPER + DIGITS + SYMBOLS;
  const pick = (set: string) => set[randomInt(set.length)]!;
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < 24) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/**
 * The name the provider knows a server by: the customer's label made acceptable to the
 * provider (3–64 characters, a letter first, no doubled separators), with a piece of our id
 * so two organizations' "web1" never collide on the one provider account.
 */
export function providerLabel(label: string, serverId: string): string {
  const suffix = serverId.replace(/-/g, '').slice(0, 8);
  let base = label.replace(/[^A-Za-z0-9_.-]/g, '').replace(/([-_.])[-_.]+/g, '$1');
  if (!/^[A-Za-z]/.test(base)) base = `vps-${base}`;
  base = base.slice(0, 64 - suffix.length - 1).replace(/[-_.]+$/, '');
  return `${base}-${suffix}`;
}

/** The current clock hour by the database's clock (in a transaction: the transaction's start). */
export async function databaseHour(db: DbOrTx): Promise<Date> {
  const { rows } = await sql<{ hour: Date }>`select date_trunc('hour', now()) as hour`.execute(db);
  return rows[0]!.hour;
}
