import { inTransaction, type Tx } from '../../db/index.ts';
import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { divRound, toDecimal } from '../../lib/money.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import { wakeDunning } from '../dunning/lift.ts';
import { post } from '../ledger/post.ts';
import type { Deps } from '../deps.ts';
import type { HostingDeps } from './connector.ts';
import { sendHostingCancelled } from './emails.ts';
import { publishServiceStatus } from './saga-end.ts';
import { DAY_MS, wholeDays } from './periods.ts';
import { NO_SUCH_SERVICE, serviceFor, type ServiceRow } from './services.ts';
import { emitHostingEvent } from '../webhooks/hooks.ts';
import { deleteAtPanel, panelClient } from './suspension.ts';

/**
 * Ending web hosting (BILLING.md "Hosting"): at the end of the paid period (the renewal run
 * then deletes it instead of charging: renewals.ts), or now — the website and subscription
 * deleted at the panel, the service cancelled, and (when asked) the unused whole days of the
 * current period refunded to the wallet: charge × unused days ÷ the period's days, rounded
 * half up to the micro-unit (src/lib/money.ts), never more than that period's charge net of
 * what was refunded of it before; key `hosting:refund:<service>:<period start>`, so it is
 * refunded once whoever asks. Customers (hosting_manage) cancel their organization's services;
 * staff (platform admins, `staff: true`) any, with or without the refund.
 */

export type CancelReason = 'customer' | 'staff' | 'period_end' | 'unpaid';
type CancelDeps = Deps & HostingDeps;

export interface RefundPreview {
  amount: bigint;
  unusedDays: number;
  periodDays: number;
}

/** What cancelling now would refund: the unused whole days of the current period's charge. */
export function proratedRefund(
  charge: { amount: bigint; refunded: bigint } | null | undefined,
  period: { start: Date | null; end: Date | null },
  now: Date,
): RefundPreview {
  if (!charge || !period.start || !period.end || period.end <= now) return { amount: 0n, unusedDays: 0, periodDays: 0 };
  const periodDays = Math.max(1, Math.round((period.end.getTime() - period.start.getTime()) / DAY_MS));
  const unusedDays = Math.min(periodDays, wholeDays(now, period.end));
  const raw = divRound(charge.amount * BigInt(unusedDays), BigInt(periodDays));
  const left = charge.amount - charge.refunded;
  return { amount: raw > left ? left : raw < 0n ? 0n : raw, unusedDays, periodDays };
}

const currentCharge = (trx: Tx, s: ServiceRow) =>
  trx
    .selectFrom('hosting_charges')
    .select(['id', 'amount', 'refunded', 'period_start'])
    .where('service_id', '=', s.id)
    .where('period_start', '=', s.period_start!)
    .executeTakeFirst();

/** The refund cancelling `s` now would give (for the confirm page and the API). */
export async function refundPreview(deps: Pick<Deps, 'db' | 'clock'>, s: ServiceRow): Promise<RefundPreview> {
  if (!s.period_start || (s.status !== 'active' && s.status !== 'suspended'))
    return { amount: 0n, unusedDays: 0, periodDays: 0 };
  const charge = await inTransaction(deps.db, (trx) => currentCharge(trx, s));
  return proratedRefund(charge, { start: s.period_start, end: s.period_end }, deps.clock.now());
}

/** Refunds the unused whole days of `s`'s current period to the wallet, once; returns what was refunded now. */
async function refundUnused(trx: Tx, s: ServiceRow, now: Date, createdBy: string | null): Promise<bigint> {
  if (!s.period_start) return 0n;
  const charge = await trx
    .selectFrom('hosting_charges')
    .select(['id', 'amount', 'refunded'])
    .where('service_id', '=', s.id)
    .where('period_start', '=', s.period_start)
    .forUpdate()
    .executeTakeFirst();
  const r = proratedRefund(charge, { start: s.period_start, end: s.period_end }, now);
  if (!charge || r.amount <= 0n) return 0n;
  const wallet = await trx
    .selectFrom('wallets')
    .select(['id', 'currency'])
    .where('organization_id', '=', s.organization_id)
    .executeTakeFirstOrThrow();
  const plan = await trx.selectFrom('hosting_plans').select('name').where('id', '=', s.plan_id).executeTakeFirst();
  const posted = await post(trx, {
    idempotencyKey: `hosting:refund:${s.id}:${s.period_start.toISOString()}`,
    kind: 'hosting_refund',
    organizationId: s.organization_id,
    currency: wallet.currency,
    description: `Web hosting ${s.domain} (${plan?.name ?? 'plan'}): ${r.unusedDays} unused ${r.unusedDays === 1 ? 'day' : 'days'} of ${r.periodDays} refunded`,
    lines: [
      { walletId: wallet.id, amount: r.amount },
      { account: 'hosting_revenue', amount: -r.amount },
    ],
    createdBy,
    details: {
      hosting_service_id: s.id,
      domain: s.domain,
      period_start: s.period_start.toISOString(),
      unused_days: r.unusedDays,
      period_days: r.periodDays,
    },
  });
  if (posted.duplicate) return 0n;
  await trx
    .updateTable('hosting_charges')
    .set((eb) => ({ refunded: eb('refunded', '+', r.amount) }))
    .where('id', '=', charge.id)
    .execute();
  return r.amount;
}

/**
 * Ends `s` in the caller's transaction (its row locked by the caller): deleted at the panel
 * (a failure throws and changes nothing), cancelled with `reason`, the unused days refunded
 * when `refund`, the cancellation email queued. Returns how many emails were queued and what was refunded.
 */
export async function endService(
  deps: CancelDeps,
  trx: Tx,
  s: ServiceRow,
  opts: { reason: CancelReason; refund: boolean; by: string | null },
): Promise<{ emails: number; refunded: bigint }> {
  const now = deps.clock.now();
  if (s.enhance_website_id || s.enhance_subscription_id !== null) await deleteAtPanel(await panelClient(deps), s);
  const refunded = opts.refund ? await refundUnused(trx, s, now, opts.by) : 0n;
  await trx
    .updateTable('hosting_services')
    .set({ status: 'cancelled', cancelled_at: now, cancel_reason: opts.reason, updated_at: now })
    .where('id', '=', s.id)
    .execute();
  await publishServiceStatus(trx, { ...s, status: 'cancelled' });
  await emitHostingEvent(trx, s, 'cancelled', {
    key: `hosting.service.cancelled:${s.id}`,
    at: now,
    facts: { reason: opts.reason, refunded: toDecimal(refunded, 6) },
  });
  if (refunded > 0n) await wakeDunning(deps, trx, s.organization_id);
  const reason = opts.reason === 'customer' ? 'cancelled' : opts.reason;
  return { emails: await sendHostingCancelled(deps, s.id, { reason, refund: refunded }, trx), refunded };
}

async function staffService(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<ServiceRow> {
  requirePlatformAdmin(actor);
  const row = isUuid(id)
    ? await deps.db.selectFrom('hosting_services').selectAll().where('id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError(NO_SUCH_SERVICE);
  return row;
}

/**
 * Cancels a service: `when: 'period_end'` marks it (the renewal run ends it instead of
 * renewing), `'now'` ends it at once, refunding the unused whole days when `refund`. A service
 * already cancelled is answered as it is; one still being set up, or failed, is refused (409).
 * Returns the service and what this call refunded.
 */
export async function cancelService(
  deps: CancelDeps,
  actor: Actor,
  serviceId: string,
  opts: { when: 'period_end' | 'now'; refund: boolean; staff?: boolean },
): Promise<ServiceRow & { refunded: bigint }> {
  const service = opts.staff
    ? await staffService(deps, actor, serviceId)
    : await serviceFor(deps.db, actor, serviceId, 'hosting_manage');
  if (opts.when !== 'period_end' && opts.when !== 'now')
    throw new ValidationError({ when: 'Choose when the hosting ends: at the end of the period, or now.' });
  if (service.status === 'cancelled') return { ...service, refunded: 0n };
  if (service.status !== 'active' && service.status !== 'suspended')
    throw new AppError(
      'hosting_not_cancellable',
      409,
      service.status === 'provisioning'
        ? 'This website is still being set up: cancel it once it is ready.'
        : 'This hosting never started: there is nothing to cancel.',
    );
  const target = { type: 'hosting_service', id: service.id };
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const s = await trx
      .selectFrom('hosting_services')
      .selectAll()
      .where('id', '=', service.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (s.status !== 'active' && s.status !== 'suspended') return { ...s, refunded: 0n };
    if (opts.when === 'period_end') {
      if (s.cancel_at_period_end) return { ...s, refunded: 0n };
      const row = await trx
        .updateTable('hosting_services')
        .set({ cancel_at_period_end: true, updated_at: now })
        .where('id', '=', s.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordActivity(trx, {
        ...activityBy(actor, 'hosting.service_cancel_scheduled', { target, occurredAt: now }),
        organizationId: s.organization_id,
        details: { domain: s.domain, ends_at: s.period_end?.toISOString() ?? null, staff: !!opts.staff },
      });
      return { ...row, refunded: 0n };
    }
    const { refunded } = await endService(deps, trx, s, {
      reason: opts.staff ? 'staff' : 'customer',
      refund: opts.refund,
      by: actor.userId,
    });
    await recordActivity(trx, {
      ...activityBy(actor, 'hosting.service_cancelled', { target, occurredAt: now }),
      organizationId: s.organization_id,
      details: { domain: s.domain, refund: toDecimal(refunded), staff: !!opts.staff },
    });
    const row = await trx.selectFrom('hosting_services').selectAll().where('id', '=', s.id).executeTakeFirstOrThrow();
    return { ...row, refunded };
  });
}
/** Undoes a cancellation at period end while the period runs (the service renews again). */
export async function keepService(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, serviceId: string) {
  const s = await serviceFor(deps.db, actor, serviceId, 'hosting_manage');
  if (!s.cancel_at_period_end || (s.status !== 'active' && s.status !== 'suspended')) return s;
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const row = await trx
      .updateTable('hosting_services')
      .set({ cancel_at_period_end: false, updated_at: now })
      .where('id', '=', s.id)
      .where('status', 'in', ['active', 'suspended'])
      .returningAll()
      .executeTakeFirst();
    if (row)
      await recordActivity(
        trx,
        activityBy(actor, 'hosting.service_cancel_unscheduled', {
          target: { type: 'hosting_service', id: s.id },
          occurredAt: now,
          details: { domain: s.domain },
        }),
      );
    return row ?? s;
  });
}

/** What the cancel page shows: the service, its plan, and what cancelling now would refund (needs hosting_manage). */
export async function cancellationOf(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, serviceId: string) {
  const service = await serviceFor(deps.db, actor, serviceId, 'hosting_manage');
  const facts = await deps.db
    .selectFrom('hosting_plans as p')
    .innerJoin('wallets as w', (j) => j.on('w.organization_id', '=', service.organization_id))
    .select(['p.name', 'w.currency'])
    .where('p.id', '=', service.plan_id)
    .executeTakeFirst();
  return {
    service,
    plan: facts?.name ?? '',
    currency: facts?.currency ?? 'USD',
    refund: await refundPreview(deps, service),
    cancellable: service.status === 'active' || service.status === 'suspended',
  };
}
