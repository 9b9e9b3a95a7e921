import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { queueEmail } from '../../mail/queue.ts';
import type { EmailTemplateName, EmailTemplates } from '../../mail/templates.ts';
import type { Deps } from '../deps.ts';

/** The email categories a user may turn off (Settings → Notifications). Security mail has none: it is always sent. */
export const EMAIL_CATEGORIES = ['billing', 'maintenance', 'general'] as const;
export type EmailCategory = (typeof EMAIL_CATEGORIES)[number];

const PREFERENCE_COLUMN = {
  billing: 'notify_billing',
  maintenance: 'notify_maintenance',
  general: 'notify_general',
} as const satisfies Record<EmailCategory, string>;

export interface BillingContact {
  userId: string;
  email: string;
  name: string;
}

/**
 * An organization's billing contacts: its active members whose role holds `billing_manage`
 * (owners always do) and who receive `category` mail.
 */
export async function billingContacts(
  db: DbOrTx,
  organizationId: string,
  category: EmailCategory = 'billing',
): Promise<BillingContact[]> {
  const rows = await db
    .selectFrom('organization_members as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'u.name'])
    .where('m.organization_id', '=', organizationId)
    .where('u.status', '=', 'active')
    .where(sql<boolean>`'billing_manage' = any(r.permissions)`)
    .where(`u.${PREFERENCE_COLUMN[category]}`, '=', true)
    .orderBy('u.email')
    .execute();
  return rows.map((r) => ({ userId: r.id, email: r.email, name: r.name }));
}

/**
 * Queues `template` to every billing contact of the organization who receives `category` mail,
 * in `db` (the transaction of the change that caused it). `data` is built per contact so the
 * greeting can carry their name. Returns how many emails were queued.
 */
export async function emailBillingContacts<K extends EmailTemplateName>(
  deps: Pick<Deps, 'config' | 'queue'>,
  db: DbOrTx,
  organizationId: string,
  template: K,
  data: (contact: BillingContact) => EmailTemplates[K],
  category: EmailCategory = 'billing',
): Promise<number> {
  const contacts = await billingContacts(db, organizationId, category);
  for (const contact of contacts) await queueEmail(deps, db, contact.email, template, data(contact));
  return contacts.length;
}

/** Whether a user receives `category` mail (for emails to one person, e.g. a receipt to its payer). */
export async function receivesCategory(db: DbOrTx, userId: string, category: EmailCategory): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select(PREFERENCE_COLUMN[category])
    .where('id', '=', userId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Boolean(row && (row as Record<string, boolean>)[PREFERENCE_COLUMN[category]]);
}

/**
 * A link in an email about one organization: it opens `path` in that organization, whichever
 * is active when the link is followed (`/active-organization/<id>?next=`: a member of several
 * organizations is asked to continue as this one first, so "Add funds" never tops up another
 * wallet and an invoice link never answers 404).
 */
export function organizationLink(publicUrl: string, organizationId: string, path: string): string {
  return `${publicUrl}/active-organization/${organizationId}?next=${encodeURIComponent(path)}`;
}
