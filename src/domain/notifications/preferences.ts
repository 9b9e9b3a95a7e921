import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/validation.ts';
import type { Deps } from '../deps.ts';
import { EMAIL_CATEGORIES, type EmailCategory } from './contacts.ts';

/**
 * A user's email preferences (Settings → Notifications, GET|PUT /api/v1/me/notification-preferences):
 * which non-security categories they receive. Security and account mail (sign-ins, password,
 * two-factor, email changes, invitations) has no category and is always sent. Billing mail
 * goes to billing contacts only (contacts.ts), and only to those who keep it on.
 */
export type NotificationPreferences = Record<EmailCategory, boolean>;

const preferencesInput = z.object({
  billing: z.boolean({ error: 'Say true or false.' }),
  maintenance: z.boolean({ error: 'Say true or false.' }),
  general: z.boolean({ error: 'Say true or false.' }),
});

export async function getNotificationPreferences(db: DbOrTx, userId: string): Promise<NotificationPreferences> {
  const row = await db
    .selectFrom('users')
    .select(['notify_billing', 'notify_maintenance', 'notify_general'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('No such user.');
  return { billing: row.notify_billing, maintenance: row.notify_maintenance, general: row.notify_general };
}

/** Saves all three preferences at once (422 naming a field that is not a boolean); returns them. */
export async function setNotificationPreferences(
  deps: Pick<Deps, 'db'>,
  userId: string,
  raw: unknown,
): Promise<NotificationPreferences> {
  const parsed = preferencesInput.safeParse(raw);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const p = parsed.data;
  await deps.db
    .updateTable('users')
    .set({ notify_billing: p.billing, notify_maintenance: p.maintenance, notify_general: p.general })
    .where('id', '=', userId)
    .execute();
  return p;
}

/** A settings form's checkboxes as preferences: a ticked box is sent, an unticked one is not. */
export function preferencesFromForm(values: Record<string, string>): NotificationPreferences {
  return Object.fromEntries(EMAIL_CATEGORIES.map((c) => [c, c in values])) as NotificationPreferences;
}
