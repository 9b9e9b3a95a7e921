import { inTransaction, type Tx } from '../../db/index.ts';
import type { Config } from '../../config.ts';
import { post } from '../ledger/post.ts';
import { deadlinesOf, terminationTime } from '../dunning/policy.ts';
import type { Deps } from '../deps.ts';
import type { HostingDeps } from './connector.ts';
import {
  dayText,
  sendHostingFinalNotice,
  sendHostingRecovered,
  sendRenewalFailed,
  sendRenewalReceipt,
} from './emails.ts';
import { periodEndAfter } from './periods.ts';
import type { ServiceRow } from './services.ts';
import { billableService, endAfterSettling, setAtPanel } from './renewals-panel.ts';

/**
 * One service taken one step further (BILLING.md "Hosting"), level-triggered like server
 * dunning: each run looks at where the service should be now and does what is missing.
 *
 *   cancel at period end, period over   deleted at the panel, cancelled, email (no charge)
 *   period over, wallet covers it       the next period charged (once: hosting_charges
 *                                       UNIQUE (service, period_start) and the ledger key
 *                                       `hosting:charge:<service>:<start>`), period advanced
 *                                       by one calendar month (periods.ts), receipt email;
 *                                       repeated while periods are due, oldest first
 *   period over, wallet short           overdue_since set (the due time, once per unpaid
 *                                       spell), renewal-failed email
 *   overdue past the suspension time    website suspended at the panel (disabled +
 *                                       isSuspended), then suspended_by dunning, email —
 *                                       once per unpaid spell: staff may enable it again
 *   24 h before the deletion            final notice email
 *   overdue past the termination time   website and subscription deleted at the panel,
 *   (and ≥ 24 h after the final notice) cancelled (reason unpaid), email
 *   paid up again                       overdue_since cleared; a website dunning suspended is
 *                                       enabled again at the panel, then marked active; one
 *                                       recovered email for the spell
 *
 * The periods are server dunning's (policy.ts, Platform settings → Billing), counted from
 * overdue_since. A renewal is a guarded debit: the wallet never goes below zero for hosting
 * (the period is billed in advance and not delivered while unpaid); unpaid periods are
 * charged on recovery, each once. A staff suspension is never lifted here.
 *
 * Money first, panel after: the charges, the period columns and overdue_since are settled in
 * one transaction holding the service row (`FOR UPDATE SKIP LOCKED`: a second run at the same
 * time skips it; the charge's unique keys make a double charge impossible anyway) and the
 * wallet row, and committed before the panel is called, so a slow panel (up to the client's
 * 15 s) never holds the organization's other money operations. The panel call comes next with
 * no transaction open, then its result is recorded with its email (markSuspended/markActive,
 * conditional). A panel failure leaves the money as it is and the service in a state the next
 * run acts on again without charging: paid but still suspended by dunning is enabled again;
 * overdue past the suspension time and still active is suspended; the emails are keyed, once.
 * Deletion (endService) runs in a transaction of its own that holds the service row only.
 */

export type BillingDeps = Deps & HostingDeps;
export type DunningPeriods = Pick<Config, 'DUNNING_SUSPEND_AFTER_HOURS' | 'DUNNING_TERMINATE_AFTER_DAYS'>;

export type BillingTally = Record<
  | 'services'
  | 'renewed'
  | 'unpaid'
  | 'suspended'
  | 'finalNotices'
  | 'deleted'
  | 'recovered'
  | 'cancelled'
  | 'emails'
  | 'errors',
  number
>;

export const emptyTally = (): BillingTally => ({
  services: 0,
  renewed: 0,
  unpaid: 0,
  suspended: 0,
  finalNotices: 0,
  deleted: 0,
  recovered: 0,
  cancelled: 0,
  emails: 0,
  errors: 0,
});

/** The service's billing anchor: the start of its first charged period (periods.ts). */
export async function anchorOf(trx: Tx, s: Pick<ServiceRow, 'id' | 'period_start'>): Promise<Date> {
  const first = await trx
    .selectFrom('hosting_charges')
    .select('period_start')
    .where('service_id', '=', s.id)
    .orderBy('period_start')
    .limit(1)
    .executeTakeFirst();
  return first?.period_start ?? s.period_start!;
}

/** What ledger descriptions and statements say of a period: "Web hosting example.com (Starter): 7 Dec 2026 – 7 Jan 2027". */
export const periodLabel = (domain: string, plan: string, start: Date, end: Date) =>
  `Web hosting ${domain} (${plan}): ${dayText(start)} – ${dayText(end)}`;

/**
 * Charges the period [start, end) of `s` from the wallet (the caller checked it covers it,
 * with the wallet row locked). Returns what was charged now: 0 when the period was charged
 * before (by anyone) or the price is zero.
 */
async function chargePeriod(trx: Tx, s: ServiceRow, plan: string, wallet: Wallet, start: Date, end: Date) {
  const charge = await trx
    .insertInto('hosting_charges')
    .values({
      service_id: s.id,
      organization_id: s.organization_id,
      period_start: start,
      period_end: end,
      amount: s.monthly_price,
      kind: 'renewal',
    })
    .onConflict((oc) => oc.columns(['service_id', 'period_start']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!charge || s.monthly_price === 0n) return 0n;
  const posted = await post(trx, {
    idempotencyKey: `hosting:charge:${s.id}:${start.toISOString()}`,
    kind: 'hosting_charge',
    organizationId: s.organization_id,
    currency: wallet.currency,
    description: periodLabel(s.domain, plan, start, end),
    lines: [
      { walletId: wallet.id, amount: -s.monthly_price },
      { account: 'hosting_revenue', amount: s.monthly_price },
    ],
    details: {
      hosting_service_id: s.id,
      domain: s.domain,
      plan,
      period_start: start.toISOString(),
      period_end: end.toISOString(),
    },
  });
  await trx
    .updateTable('hosting_charges')
    .set({ ledger_transaction_id: posted.transactionId })
    .where('id', '=', charge.id)
    .execute();
  return s.monthly_price;
}

interface Wallet {
  id: string;
  balance: bigint;
  currency: string;
}

/** What is left to do at the panel once the step's money is committed (stepService). */
export type PanelStep =
  | { kind: 'end'; reason: 'period_end' }
  | { kind: 'end'; reason: 'unpaid'; spell: Date }
  | { kind: 'suspend'; spell: Date; amountDue: bigint; deleteAt: Date }
  | { kind: 'enable'; recovered: Recovery | null };

export interface Recovery {
  overdueSince: Date;
  amount: bigint;
  periods: number;
}

/** One service's step (above); nothing when another run holds it or it is not billable. */
export async function stepService(
  deps: BillingDeps,
  serviceId: string,
  periods: DunningPeriods,
  tally: BillingTally,
): Promise<void> {
  const next = await inTransaction(deps.db, (trx) => settle(deps, trx, serviceId, periods, tally));
  if (next?.kind === 'end') await endAfterSettling(deps, serviceId, next, tally);
  else if (next) await setAtPanel(deps, serviceId, next, tally);
}

/**
 * The step's money and what goes with it, in one transaction holding the service and wallet
 * rows: charges, the period columns, overdue_since, and the emails that need no panel call.
 * Returns what the panel must do next (the caller does it after the commit), or null.
 */
async function settle(
  deps: BillingDeps,
  trx: Tx,
  serviceId: string,
  periods: DunningPeriods,
  tally: BillingTally,
): Promise<PanelStep | null> {
  const s = await billableService(trx, serviceId);
  if (!s || !s.period_start || !s.period_end) return null;
  tally.services++;
  const now = deps.clock.now();
  if (s.cancel_at_period_end && s.period_end <= now) return { kind: 'end', reason: 'period_end' };

  const { name: plan } = await trx
    .selectFrom('hosting_plans')
    .select('name')
    .where('id', '=', s.plan_id)
    .executeTakeFirstOrThrow();
  const wallet = await trx
    .selectFrom('wallets')
    .select(['id', 'balance', 'currency'])
    .where('organization_id', '=', s.organization_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const anchor = await anchorOf(trx, s);
  const paid: Array<{ start: Date; end: Date; amount: bigint }> = [];
  let [start, end] = [s.period_start, s.period_end];
  let balance = wallet.balance;
  while (end <= now && balance >= s.monthly_price) {
    const next = periodEndAfter(anchor, end);
    const amount = await chargePeriod(trx, s, plan, wallet, end, next);
    balance -= amount;
    paid.push({ start: end, end: next, amount });
    [start, end] = [end, next];
  }
  const due = end <= now;
  const overdueSince = due ? (s.overdue_since ?? end) : null;
  await trx
    .updateTable('hosting_services')
    .set({ period_start: start, period_end: end, overdue_since: overdueSince, updated_at: now })
    .where('id', '=', s.id)
    .execute();
  tally.renewed += paid.length;

  if (!due) {
    // Paid, still suspended by dunning: this run's recovery, or an earlier one whose panel call failed.
    const enable = s.status === 'suspended' && s.suspended_by === 'dunning';
    if (s.overdue_since) {
      const recovered = {
        overdueSince: s.overdue_since,
        amount: paid.reduce((sum, p) => sum + p.amount, 0n),
        periods: paid.length,
      };
      if (enable) return { kind: 'enable', recovered };
      tally.emails += await sendHostingRecovered(deps, s.id, { ...recovered, reenabled: false }, trx);
      tally.recovered++;
      return null;
    }
    for (const p of paid) tally.emails += await sendRenewalReceipt(deps, s.id, p, trx);
    return enable ? { kind: 'enable', recovered: null } : null;
  }
  for (const p of paid) tally.emails += await sendRenewalReceipt(deps, s.id, p, trx);
  if (!overdueSince) return null;

  // Unpaid: hosting dunning on server dunning's periods, counted from when the renewal fell due.
  if (!s.overdue_since) tally.unpaid++;
  const spell = overdueSince;
  const d = deadlinesOf({ arrears_since: spell, extended_until: null, exempt_reason: null }, periods);
  let periodsDue = 0;
  for (let t = end; t <= now; t = periodEndAfter(anchor, t)) periodsDue++;
  const amountDue = s.monthly_price * BigInt(periodsDue);
  tally.emails += await sendRenewalFailed(
    deps,
    s.id,
    { overdueSince: spell, amount: s.monthly_price, suspendAt: d.suspendAt, deleteAt: d.terminateAt },
    trx,
  );
  // Suspended once per unpaid spell (its notice goes out with it): staff who enable the website again are not overruled.
  const suspendedBefore = await noticeOf(trx, s.id, 'suspended', spell);
  const suspend: PanelStep | null =
    now >= d.suspendAt && s.status === 'active' && !suspendedBefore
      ? { kind: 'suspend', spell, amountDue, deleteAt: d.terminateAt }
      : null;
  if (now < d.finalNoticeAt) return suspend;
  const sent = await sendHostingFinalNotice(
    deps,
    s.id,
    { overdueSince: spell, amountDue, deleteAt: d.terminateAt, at: now },
    trx,
  );
  if (sent) tally.finalNotices++;
  tally.emails += sent;
  // Recorded by sendHostingFinalNotice above, in this transaction, if not on an earlier run.
  const notice = await noticeOf(trx, s.id, 'final_notice', spell);
  if (!notice) throw new Error(`hosting service ${s.id}: no final notice recorded for its unpaid spell`);
  if (now < terminationTime(d, notice.sent_at)) return suspend;
  return { kind: 'end', reason: 'unpaid', spell };
}

/** The notice of `kind` sent for the unpaid spell that began at `spell` (its key), if any. */
const noticeOf = (trx: Tx, serviceId: string, kind: 'suspended' | 'final_notice', spell: Date) =>
  trx
    .selectFrom('hosting_notices')
    .select('sent_at')
    .where('service_id', '=', serviceId)
    .where('kind', '=', kind)
    .where('key', '=', spell.toISOString())
    .executeTakeFirst();
