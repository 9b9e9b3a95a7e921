import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import type { SupportEmail } from '../../db/types.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/validation.ts';
import type { Deps } from '../deps.ts';
import { EMAIL_CATEGORIES, type EmailCategory } from './contacts.ts';
import { NOTIFICATION_CATEGORIES, type NotificationCategory } from './kinds.ts';

/**
 * A user's notification preferences (Settings → Notifications, GET|PUT
 * /api/v1/me/notification-preferences), one set for both channels:
 *
 * - email: which non-security categories they receive. Security and account mail (sign-ins,
 *   password, two-factor, email changes, invitations) has no category and is always sent.
 *   Billing mail goes to billing contacts only (contacts.ts), and only to those who keep it on.
 * - `inApp`: which categories the bell shows (kinds.ts). Security has no switch here either.
 *   A muted category's notifications are not written at all (emit.ts), so turning it on again
 *   shows what happens from then on.
 * - `supportEmail` (platform staff only; null for everyone else): which support-ticket emails they
 *   receive — 'all' (tickets assigned to them and every unassigned ticket), 'assigned' (only
 *   theirs) or 'off' (src/domain/support/mail.ts). The bell tells them of tickets either way.
 */
export type InboxCategory = Exclude<NotificationCategory, 'security'>;
export const INBOX_CATEGORIES = NOTIFICATION_CATEGORIES.filter((c): c is InboxCategory => c !== 'security');

export type NotificationPreferences = Record<EmailCategory, boolean> & {
  inApp: Record<InboxCategory, boolean>;
  supportEmail: SupportEmail | null;
};

/** Staff's choices of support-ticket email (users.support_email; src/domain/support/mail.ts reads it). */
export const SUPPORT_EMAIL_CHOICES = ['all', 'assigned', 'off'] as const satisfies readonly SupportEmail[];

const yesNo = z.boolean({ error: 'Say true or false.' });
const preferencesInput = z.object({
  billing: yesNo,
  maintenance: yesNo,
  general: yesNo,
  // Optional, and each category in it: a caller that only knows the email switches keeps the bell as it is.
  inApp: z.object(Object.fromEntries(INBOX_CATEGORIES.map((c) => [c, yesNo.optional()]))).optional(),
  // Staff only (ignored for anyone else); left out, it stays as it is.
  supportEmail: z.enum(SUPPORT_EMAIL_CHOICES, { error: 'Choose all, assigned or off.' }).optional(),
});

const INBOX_COLUMN = {
  servers: 'inbox_servers',
  billing: 'inbox_billing',
  team: 'inbox_team',
  maintenance: 'inbox_maintenance',
  general: 'inbox_general',
} as const satisfies Record<InboxCategory, string>;

export async function getNotificationPreferences(db: DbOrTx, userId: string): Promise<NotificationPreferences> {
  const row = await db
    .selectFrom('users')
    .select([
      'notify_billing',
      'notify_maintenance',
      'notify_general',
      'is_admin',
      'support_email',
      ...Object.values(INBOX_COLUMN),
    ])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('No such user.');
  return {
    billing: row.notify_billing,
    maintenance: row.notify_maintenance,
    general: row.notify_general,
    inApp: Object.fromEntries(INBOX_CATEGORIES.map((c) => [c, row[INBOX_COLUMN[c]]])) as Record<InboxCategory, boolean>,
    supportEmail: row.is_admin ? row.support_email : null,
  };
}

/**
 * Saves the three email preferences (all required), any bell categories given, and (for platform
 * staff only) the support-ticket email choice if given (422 naming a field that is not a boolean
 * or a choice); returns them all.
 */
export async function setNotificationPreferences(
  deps: Pick<Deps, 'db'>,
  userId: string,
  raw: unknown,
): Promise<NotificationPreferences> {
  const parsed = preferencesInput.safeParse(raw);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const p = parsed.data;
  const inbox = Object.fromEntries(
    INBOX_CATEGORIES.filter((c) => typeof p.inApp?.[c] === 'boolean').map((c) => [INBOX_COLUMN[c], p.inApp![c]]),
  );
  await deps.db
    .updateTable('users')
    .set({ notify_billing: p.billing, notify_maintenance: p.maintenance, notify_general: p.general, ...inbox })
    .where('id', '=', userId)
    .execute();
  if (p.supportEmail)
    await deps.db
      .updateTable('users')
      .set({ support_email: p.supportEmail })
      .where('id', '=', userId)
      .where('is_admin', '=', true)
      .execute();
  return getNotificationPreferences(deps.db, userId);
}

/**
 * A settings form's checkboxes as preferences: a ticked box is sent, an unticked one is not.
 * Email boxes are named by category (`billing`), bell boxes `in_app_<category>`; the bell's are
 * read only when the form has its section (`in_app` is sent), so an older form keeps them. The
 * staff's radio buttons `support_email` are passed on when sent.
 */
export function preferencesFromForm(values: Record<string, string>) {
  const email = Object.fromEntries(EMAIL_CATEGORIES.map((c) => [c, c in values])) as Record<EmailCategory, boolean>;
  const support = 'support_email' in values ? { supportEmail: values.support_email } : {};
  if (!('in_app' in values)) return { ...email, ...support };
  return {
    ...email,
    ...support,
    inApp: Object.fromEntries(INBOX_CATEGORIES.map((c) => [c, `in_app_${c}` in values])),
  };
}
