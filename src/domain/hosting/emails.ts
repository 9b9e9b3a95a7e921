import type { DbOrTx } from '../../db/index.ts';
import { inTransaction } from '../../db/index.ts';
import type { HostingNoticeKind } from '../../db/types.ts';
import { formatMoney } from '../../lib/money.ts';
import type { EmailTemplates } from '../../mail/templates.ts';
import { whenText } from '../dunning/policy.ts';
import type { Deps } from '../deps.ts';
import { emailBillingContacts, organizationLink, type BillingContact } from '../notifications/contacts.ts';

/**
 * Web hosting's emails to the organization's billing contacts (owners and members with
 * billing_manage who receive billing mail, as dunning's: notifications/contacts.ts), each sent
 * once: a row in hosting_notices (service, kind, key) is inserted in the transaction that
 * queues the emails, and a second attempt (a retried job, a second worker, a repeated request)
 * finds it and sends nothing. Keys: the welcome and the cancellation once per service, a
 * receipt per period paid, the renewal-failed, suspension, final-notice and recovery emails
 * once per unpaid spell (its overdue_since). No email carries a password or a sign-in link:
 * the control panel opens by single sign-on from the portal.
 */

type MailDeps = Pick<Deps, 'db' | 'config' | 'queue'>;

/** What every hosting email says about its service. */
export interface ServiceFacts {
  id: string;
  organizationId: string;
  organization: string;
  plan: string;
  domain: string;
  monthlyPrice: bigint;
  balance: bigint;
  currency: string;
  periodStart: Date | null;
  periodEnd: Date | null;
  overdueSince: Date | null;
  serverIps: string[];
}

export async function serviceFacts(db: DbOrTx, serviceId: string): Promise<ServiceFacts | null> {
  const row = await db
    .selectFrom('hosting_services as s')
    .innerJoin('hosting_plans as p', 'p.id', 's.plan_id')
    .innerJoin('organizations as o', 'o.id', 's.organization_id')
    .innerJoin('wallets as w', 'w.organization_id', 's.organization_id')
    .select([
      's.id',
      's.organization_id',
      'o.name as organization',
      'p.name as plan',
      's.domain',
      's.monthly_price',
      'w.balance',
      'w.currency',
      's.period_start',
      's.period_end',
      's.overdue_since',
      's.server_ips',
    ])
    .where('s.id', '=', serviceId)
    .executeTakeFirst();
  if (!row) return null;
  const ips = Array.isArray(row.server_ips) ? (row.server_ips as { ip: string }[]) : [];
  return {
    id: row.id,
    organizationId: row.organization_id,
    organization: row.organization,
    plan: row.plan,
    domain: row.domain,
    monthlyPrice: row.monthly_price,
    balance: row.balance,
    currency: row.currency,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    overdueSince: row.overdue_since,
    serverIps: ips.map((i) => i.ip).filter((ip) => typeof ip === 'string'),
  };
}

/** A day as the emails say it: "7 Jan 2027" (UTC). */
export const dayText = (d: Date) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(d);

const money = (f: ServiceFacts, amount: bigint) => formatMoney(amount, f.currency);

type HostingTemplate = Extract<keyof EmailTemplates, `hosting_${string}`>;
type Common = 'name' | 'organization' | 'plan' | 'domain';

/**
 * Records the notice (service, kind, key) and queues `template` to every billing contact, in
 * `db` (pass the transaction of the change that caused it); nothing when it was sent before.
 * Returns how many emails were queued now.
 */
async function notice<K extends HostingTemplate>(
  deps: MailDeps,
  db: DbOrTx,
  serviceId: string,
  kind: HostingNoticeKind,
  key: string,
  template: K,
  data: (f: ServiceFacts) => Omit<EmailTemplates[K], Common>,
  at?: Date,
): Promise<number> {
  return inTransaction(db, async (trx) => {
    const claimed = await trx
      .insertInto('hosting_notices')
      .values({ service_id: serviceId, kind, key, ...(at ? { sent_at: at } : {}) })
      .onConflict((oc) => oc.columns(['service_id', 'kind', 'key']).doNothing())
      .returning('service_id')
      .executeTakeFirst();
    if (!claimed) return 0;
    const f = await serviceFacts(trx, serviceId);
    if (!f) return 0;
    const rest = data(f);
    const sent = await emailBillingContacts(
      deps,
      trx,
      f.organizationId,
      template,
      (c: BillingContact) =>
        ({ ...rest, name: c.name, organization: f.organization, plan: f.plan, domain: f.domain }) as EmailTemplates[K],
    );
    await trx
      .updateTable('hosting_notices')
      .set({ emails: sent })
      .where('service_id', '=', serviceId)
      .where('kind', '=', kind)
      .where('key', '=', key)
      .execute();
    return sent;
  });
}

const links = (deps: MailDeps, f: ServiceFacts) => ({
  serviceUrl: organizationLink(deps.config.publicUrl, f.organizationId, `/hosting/${f.id}`),
  addFundsUrl: organizationLink(deps.config.publicUrl, f.organizationId, '/billing#add-funds-h'),
  billingUrl: organizationLink(deps.config.publicUrl, f.organizationId, '/billing'),
});

/**
 * The welcome: the plan, the domain, where to point it, and how to reach the control panel
 * (the portal's single sign-on button: no password). Once per service. A (the purchase saga)
 * calls it after activation; `db` may be the activating transaction.
 */
export function sendHostingWelcome(deps: MailDeps, serviceId: string, db: DbOrTx = deps.db): Promise<number> {
  return notice(deps, db, serviceId, 'welcome', 'once', 'hosting_welcome', (f) => ({
    amount: money(f, f.monthlyPrice),
    serverIps: f.serverIps.join(', '),
    nextRenewal: f.periodEnd ? dayText(f.periodEnd) : '',
    serviceUrl: links(deps, f).serviceUrl,
  }));
}

/** A renewal paid: once per period (keyed by its start). */
export function sendRenewalReceipt(
  deps: MailDeps,
  serviceId: string,
  period: { start: Date; end: Date; amount: bigint },
  db: DbOrTx = deps.db,
): Promise<number> {
  return notice(deps, db, serviceId, 'renewal_receipt', period.start.toISOString(), 'hosting_renewal_receipt', (f) => ({
    amount: money(f, period.amount),
    periodStart: dayText(period.start),
    periodEnd: dayText(period.end),
    balance: money(f, f.balance),
    serviceUrl: links(deps, f).serviceUrl,
  }));
}

/** A renewal that could not be paid: once per unpaid spell, with when the website is suspended and deleted (null: exempt). */
export function sendRenewalFailed(
  deps: MailDeps,
  serviceId: string,
  facts: { overdueSince: Date; amount: bigint; suspendAt: Date | null; deleteAt: Date | null },
  db: DbOrTx = deps.db,
): Promise<number> {
  return notice(
    deps,
    db,
    serviceId,
    'renewal_failed',
    facts.overdueSince.toISOString(),
    'hosting_renewal_failed',
    (f) => ({
      amount: money(f, facts.amount),
      balance: money(f, f.balance),
      dueSince: whenText(facts.overdueSince),
      suspendAt: facts.suspendAt ? whenText(facts.suspendAt) : null,
      deleteAt: facts.deleteAt ? whenText(facts.deleteAt) : null,
      addFundsUrl: links(deps, f).addFundsUrl,
    }),
  );
}

/** The website suspended for non-payment: once per unpaid spell. */
export function sendHostingSuspended(
  deps: MailDeps,
  serviceId: string,
  facts: { overdueSince: Date; amountDue: bigint; deleteAt: Date | null },
  db: DbOrTx = deps.db,
): Promise<number> {
  return notice(deps, db, serviceId, 'suspended', facts.overdueSince.toISOString(), 'hosting_suspended', (f) => ({
    amount: money(f, facts.amountDue),
    balance: money(f, f.balance),
    deleteAt: facts.deleteAt ? whenText(facts.deleteAt) : null,
    addFundsUrl: links(deps, f).addFundsUrl,
  }));
}

/** A day before the deletion: once per unpaid spell; `at` (the clock's now) is recorded: the deletion waits 24 h from it. */
export function sendHostingFinalNotice(
  deps: MailDeps,
  serviceId: string,
  facts: { overdueSince: Date; amountDue: bigint; deleteAt: Date; at: Date },
  db: DbOrTx = deps.db,
): Promise<number> {
  return notice(
    deps,
    db,
    serviceId,
    'final_notice',
    facts.overdueSince.toISOString(),
    'hosting_final_notice',
    (f) => ({
      amount: money(f, facts.amountDue),
      balance: money(f, f.balance),
      deleteAt: whenText(facts.deleteAt),
      addFundsUrl: links(deps, f).addFundsUrl,
    }),
    facts.at,
  );
}

/** The unpaid months paid after a top-up (and the website enabled again when it was suspended): once per spell. */
export function sendHostingRecovered(
  deps: MailDeps,
  serviceId: string,
  facts: { overdueSince: Date; amount: bigint; periods: number; reenabled: boolean },
  db: DbOrTx = deps.db,
): Promise<number> {
  return notice(deps, db, serviceId, 'recovered', facts.overdueSince.toISOString(), 'hosting_recovered', (f) => ({
    amount: money(f, facts.amount),
    periods: facts.periods,
    nextRenewal: f.periodEnd ? dayText(f.periodEnd) : '',
    reenabled: facts.reenabled,
    serviceUrl: links(deps, f).serviceUrl,
  }));
}

/** The hosting ended (cancelled now, at period end, by staff, or unpaid), with the refund when there was one: once per service. */
export function sendHostingCancelled(
  deps: MailDeps,
  serviceId: string,
  facts: { reason: EmailTemplates['hosting_cancelled']['reason']; refund: bigint },
  db: DbOrTx = deps.db,
): Promise<number> {
  return notice(deps, db, serviceId, 'cancelled', 'once', 'hosting_cancelled', (f) => ({
    reason: facts.reason,
    refund: facts.refund > 0n ? money(f, facts.refund) : null,
    balance: money(f, f.balance),
    billingUrl: links(deps, f).billingUrl,
  }));
}
