import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { publish } from '../../db/notify.ts';
import type { HostingSagaStep } from '../../db/types.ts';
import type { EnhanceClient } from '../../providers/enhance/index.ts';
import { post } from '../ledger/post.ts';
import type { Deps } from '../deps.ts';
import { sendHostingWelcome } from './emails.ts';
import { ignore404, madeWebsite } from './saga-site.ts';
import { backOff, isTransient, MAX_ATTEMPTS, staffText, type SagaContext, type SagaOutcome } from './saga.ts';
import { emitHostingEvent } from '../webhooks/hooks.ts';
import type { ServiceRow } from './services.ts';

/** How the purchase saga ends: activation, or compensation with the refund (saga.ts). */

export type Journal = Map<HostingSagaStep, Record<string, unknown>>;

/** The realtime event a service's status change publishes (its pages re-fetch their status region on it). */
export const HOSTING_STATUS_TOPIC = 'hosting.status';

export async function publishServiceStatus(db: DbOrTx, s: { id: string; organization_id: string; status: string }) {
  const data = { id: s.id, status: s.status };
  await publish(db, {
    topic: HOSTING_STATUS_TOPIC,
    audience: [{ organizationId: s.organization_id, permission: 'hosting_view' }, { admins: true }],
    data,
  });
}

/** Writes a step to the journal once; false when it was there already. */
async function journalRow(
  db: DbOrTx,
  serviceId: string,
  step: HostingSagaStep,
  detail: Record<string, unknown>,
  now: Date,
) {
  const row = await db
    .insertInto('hosting_saga_steps')
    .values({ service_id: serviceId, step, detail: JSON.stringify(detail) as never, done_at: now })
    .onConflict((oc) => oc.columns(['service_id', 'step']).doNothing())
    .returning('step')
    .executeTakeFirst();
  return !!row;
}

export async function journal(ctx: SagaContext, step: HostingSagaStep, detail: Record<string, unknown>) {
  await journalRow(ctx.deps.db, ctx.service.id, step, detail, ctx.now);
  ctx.steps.set(step, detail);
  await publishServiceStatus(ctx.deps.db, ctx.service);
}

/**
 * The service goes live: its paid period is the purchase charge's, with the website's server
 * IPs and PHP version; the saga is done and the welcome email is queued, all in one
 * transaction (a second activation finds the journal row and does nothing).
 */
export async function activate(
  ctx: SagaContext,
  site: { ips: { ip: string; isPrimary: boolean }[]; php: string | null; note: string | null },
): Promise<void> {
  const { deps, service, now } = ctx;
  await inTransaction(deps.db, async (trx) => {
    if (!(await journalRow(trx, service.id, 'activated', { server_ips: site.ips.map((s) => s.ip) }, now))) return;
    const charge = await trx
      .selectFrom('hosting_charges')
      .select(['period_start', 'period_end'])
      .where('service_id', '=', service.id)
      .where('kind', '=', 'purchase')
      .executeTakeFirstOrThrow();
    const row = await trx
      .updateTable('hosting_services')
      .set({
        status: sql`case when status = 'provisioning' then 'active' else status end`,
        period_start: charge.period_start,
        period_end: charge.period_end,
        server_ips: JSON.stringify(site.ips) as never,
        php_version: site.php,
        saga_state: 'done',
        saga_claimed_until: null,
        saga_error: site.note,
        failure: null,
        updated_at: now,
      })
      .where('id', '=', service.id)
      .returning(['id', 'organization_id', 'status'])
      .executeTakeFirstOrThrow();
    await publishServiceStatus(trx, row);
    await emitHostingEvent(trx, row, 'active', {
      key: `hosting.service.active:${row.id}`,
      at: now,
      facts: { reason: 'purchased' },
    });
    await sendHostingWelcome(deps, service.id, trx);
  });
}

/**
 * Undoes what the saga made at the panel (the website, then the subscription; the customer
 * org, login and member stay for the organization's next purchase) and refunds the charge
 * once. A transient failure of an undo waits for the next attempt; after MAX_ATTEMPTS (or with
 * no panel to talk to) the undo is journaled as skipped with the error for staff, and the
 * refund still happens: the customer never waits on the panel for their money.
 */
export async function compensate(
  deps: Deps,
  client: EnhanceClient | null,
  service: ServiceRow,
  steps: Journal,
  now: Date,
  opts: { exhausted?: boolean } = {},
): Promise<SagaOutcome> {
  const giveUp = opts.exhausted || service.saga_attempts >= MAX_ATTEMPTS;
  const undo = async (
    step: 'undo_website' | 'undo_subscription',
    run: (c: EnhanceClient) => Promise<Record<string, unknown>>,
  ) => {
    if (steps.has(step)) return true;
    try {
      if (!client) throw new Error('No hosting integration to undo at.');
      const detail = await run(client);
      await journalRow(deps.db, service.id, step, detail, now);
      return true;
    } catch (err) {
      if (isTransient(err) && !giveUp) return false;
      await journalRow(deps.db, service.id, step, { skipped: true, error: staffText(err) }, now);
      await deps.db
        .updateTable('hosting_services')
        .set({ saga_error: `${step} not done: ${staffText(err)}`.slice(0, 1000) })
        .where('id', '=', service.id)
        .execute();
      return true;
    }
  };
  const orgId = service.enhance_org_id;
  const subId = service.enhance_subscription_id;
  const site = async (c: EnhanceClient) => {
    const id = steps.has('customer') ? await madeWebsite(c, service, service.enhance_website_id) : null;
    if (id && orgId) await ignore404(() => c.deleteWebsite(orgId, id, { force: true }));
    return { website_id: id };
  };
  const subscription = async (c: EnhanceClient) => {
    if (subId !== null) await ignore404(() => c.deleteSubscription(service.master_org_id, subId, { force: true }));
    return { subscription_id: subId };
  };
  if (!(await undo('undo_website', site))) return backOff(deps, service, 'undo_website waits for the panel', now);
  if (!(await undo('undo_subscription', subscription)))
    return backOff(deps, service, 'undo_subscription waits for the panel', now);
  await refund(deps, service, now);
  return 'compensated';
}

/** The purchase charge back to the wallet, once (`hosting:refund:<service>:saga`); the service failed. */
async function refund(deps: Deps, service: ServiceRow, now: Date): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const charge = await trx
      .selectFrom('hosting_charges')
      .select(['id', 'amount', 'refunded'])
      .where('service_id', '=', service.id)
      .where('kind', '=', 'purchase')
      .forUpdate()
      .executeTakeFirst();
    const amount = charge ? charge.amount - charge.refunded : 0n;
    if (await journalRow(trx, service.id, 'refund', { amount: amount.toString() }, now)) {
      if (charge && amount > 0n) {
        const wallet = await trx
          .selectFrom('wallets')
          .select(['id', 'currency'])
          .where('organization_id', '=', service.organization_id)
          .executeTakeFirstOrThrow();
        await post(trx, {
          idempotencyKey: `hosting:refund:${service.id}:saga`,
          kind: 'hosting_refund',
          organizationId: service.organization_id,
          currency: wallet.currency,
          description: `Web hosting ${service.domain}: the purchase could not be completed, refunded`,
          lines: [
            { account: 'hosting_revenue', amount: -amount },
            { walletId: wallet.id, amount },
          ],
          details: { hosting_service_id: service.id, charge_id: charge.id },
        });
        await trx.updateTable('hosting_charges').set({ refunded: charge.amount }).where('id', '=', charge.id).execute();
      }
    }
    const row = await trx
      .updateTable('hosting_services')
      .set({
        status: sql`case when status = 'provisioning' then 'failed' else status end`,
        failure: sql`coalesce(failure, 'The website could not be set up.')`,
        saga_state: 'compensated',
        saga_claimed_until: null,
        updated_at: now,
      })
      .where('id', '=', service.id)
      .returning(['id', 'organization_id', 'status'])
      .executeTakeFirstOrThrow();
    await publishServiceStatus(trx, row);
    if (row.status === 'failed')
      await emitHostingEvent(trx, row, 'failed', { key: `hosting.service.failed:${row.id}`, at: now });
  });
}
