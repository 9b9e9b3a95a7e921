import type { Db } from '../../src/db/index.ts';
import type { EmailTemplateName } from '../../src/mail/templates.ts';
import type { TestContext } from '../helpers/context.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { customRole } from '../organizations/cast.ts';

/**
 * An organization with every kind of member a billing email must tell apart:
 *   owner    its owner (billing_manage, always a billing contact)
 *   bill     a member whose custom role "finance" holds billing_manage
 *   nora     also "finance", but she turned billing mail off (Settings → Notifications)
 *   mia      a "member" (billing_view, no billing_manage): never a billing contact
 */
export async function billingTeam(
  ctx: TestContext,
  owner: string,
  existing?: { id: string; email: string; orgId: string },
) {
  const made = existing ? null : await createPerson(ctx, owner, { email: uniqueEmail(owner), verified: true });
  const orgId = existing?.orgId ?? made!.organization.id;
  const o = existing ?? { id: made!.id, email: made!.email };
  const role = await customRole(ctx, orgId, `finance-${Math.random().toString(36).slice(2, 7)}`, [
    'billing_view',
    'billing_manage',
  ]);
  const person = async (name: string) => createPerson(ctx, name, { email: uniqueEmail(name), verified: true });
  const [bill, nora, mia] = await Promise.all([person('Bill Finance'), person('Nora Quiet'), person('Mia Member')]);
  for (const p of [bill!, nora!]) {
    await ctx.db
      .insertInto('organization_members')
      .values({ organization_id: orgId, user_id: p.id, role_id: role })
      .execute();
  }
  await joinAs(ctx, orgId, mia!.id, 'member');
  await ctx.db.updateTable('users').set({ notify_billing: false }).where('id', '=', nora!.id).execute();
  return { orgId, owner: o, bill: bill!, nora: nora!, mia: mia! };
}

export interface SentEmail {
  id: string;
  to_address: string;
  template: string;
  subject: string;
  html: string;
  text: string;
  secrets: string | null;
}

/** The ids of every email stored so far (to tell what an action added). */
export async function emailIds(db: Db): Promise<Set<string>> {
  return new Set((await db.selectFrom('emails').select('id').execute()).map((r) => r.id));
}

/** Emails stored since `before` (emailIds), of `template`, to any of `to`, sorted by address. */
export async function emailsSince(
  db: Db,
  before: Set<string>,
  template: EmailTemplateName,
  to: string[],
): Promise<SentEmail[]> {
  if (!to.length) return [];
  const rows = await db
    .selectFrom('emails')
    .select(['id', 'to_address', 'template', 'subject', 'html', 'text', 'secrets'])
    .where('template', '=', template)
    .where('to_address', 'in', to)
    .orderBy('to_address')
    .execute();
  return rows.filter((r) => !before.has(r.id));
}

/** Who of `to` got `template` since `before`, sorted. */
export async function recipients(db: Db, before: Set<string>, template: EmailTemplateName, to: string[]) {
  return (await emailsSince(db, before, template, to)).map((e) => e.to_address).sort();
}
