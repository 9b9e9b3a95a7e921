import { inTransaction, type Tx } from '../../db/index.ts';
import { endService } from './cancel.ts';
import { sendHostingRecovered, sendHostingSuspended } from './emails.ts';
import type { BillingDeps, BillingTally, PanelStep, Recovery } from './renewals.ts';
import { markActive, markSuspended, panelClient, setSuspendedAtPanel } from './suspension.ts';

// The panel half of a service's billing step (renewals.ts stepService): what is done at the
// panel after the step's money is committed, with no transaction holding the wallet.

/** The service, locked for a billing step, while it is billable; undefined when not, or when another run holds it. */
export const billableService = (trx: Tx, serviceId: string) =>
  trx
    .selectFrom('hosting_services')
    .selectAll()
    .where('id', '=', serviceId)
    .where('status', 'in', ['active', 'suspended'])
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();

/**
 * Ends the service when it still should (not paid or kept meanwhile), in a transaction that
 * holds its row but not the wallet: endService calls the panel, and no refund is due here.
 */
export async function endAfterSettling(
  deps: BillingDeps,
  serviceId: string,
  step: Extract<PanelStep, { kind: 'end' }>,
  tally: BillingTally,
) {
  await inTransaction(deps.db, async (trx) => {
    const s = await billableService(trx, serviceId);
    const now = deps.clock.now();
    const still =
      step.reason === 'unpaid'
        ? s?.overdue_since?.getTime() === step.spell.getTime()
        : !!s?.cancel_at_period_end && !!s.period_end && s.period_end <= now;
    if (!s || !still) return;
    tally.emails += (await endService(deps, trx, s, { reason: step.reason, refund: false, by: null })).emails;
    if (step.reason === 'unpaid') tally.deleted++;
    else tally.cancelled++;
  });
}

/**
 * Suspends or enables the website at the panel with no transaction open, then records what
 * the panel now does (the row locked, conditional on its status) with the email, once. A
 * failed call records nothing: the next run finds the same state and calls again.
 */
export async function setAtPanel(
  deps: BillingDeps,
  serviceId: string,
  step: Exclude<PanelStep, { kind: 'end' }>,
  tally: BillingTally,
) {
  const s = await deps.db
    .selectFrom('hosting_services')
    .selectAll()
    .where('id', '=', serviceId)
    .executeTakeFirstOrThrow();
  await setSuspendedAtPanel(await panelClient(deps), s, step.kind === 'suspend');
  await inTransaction(deps.db, async (trx) => {
    const row = await trx
      .selectFrom('hosting_services')
      .select(['status', 'suspended_by', 'overdue_since'])
      .where('id', '=', serviceId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (step.kind === 'suspend') {
      if (row.status !== 'active') return;
      await markSuspended(deps, trx, serviceId, 'dunning');
      tally.suspended++;
      // Paid while the panel was suspending it: no email; the next run enables it again.
      if (row.overdue_since?.getTime() !== step.spell.getTime()) return;
      const facts = { overdueSince: step.spell, amountDue: step.amountDue, deleteAt: step.deleteAt };
      tally.emails += await sendHostingSuspended(deps, serviceId, facts, trx);
      return;
    }
    if (row.status === 'suspended' && row.suspended_by === 'dunning') {
      await markActive(deps, trx, serviceId);
      tally.recovered++;
    } else if (row.status !== 'active') return;
    // Enabled by us or meanwhile (staff, a second run): the spell's recovered email either way, once.
    const recovered = step.recovered ?? (await spellPaid(trx, serviceId));
    if (recovered) tally.emails += await sendHostingRecovered(deps, serviceId, { ...recovered, reenabled: true }, trx);
  });
}

/**
 * For a website enabled again by a later run than the one that took the payment: the unpaid
 * spell its dunning suspension belongs to (the suspension notice's key, the spell's
 * overdue_since) and the periods charged for it. The recovered email is keyed by the spell, so
 * it goes out once whichever run gets there.
 */
async function spellPaid(trx: Tx, serviceId: string): Promise<Recovery | null> {
  const notice = await trx
    .selectFrom('hosting_notices')
    .select('key')
    .where('service_id', '=', serviceId)
    .where('kind', '=', 'suspended')
    .orderBy('key', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!notice) return null;
  const overdueSince = new Date(notice.key);
  const charges = await trx
    .selectFrom('hosting_charges')
    .select('amount')
    .where('service_id', '=', serviceId)
    .where('kind', '=', 'renewal')
    .where('period_start', '>=', overdueSince)
    .execute();
  return { overdueSince, amount: charges.reduce((sum, c) => sum + c.amount, 0n), periods: charges.length };
}
