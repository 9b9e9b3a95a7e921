import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { AppError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { formatMoney, toDecimal } from '../../lib/money.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import { InsufficientFundsError, post } from '../ledger/post.ts';
import type { Deps } from '../deps.ts';
import { ALREADY_OURS, BEING_SET_UP, liveServiceFor, normaliseDomain } from './domains-check.ts';
import { adminMessage, hostingEnabled, integrationRow } from './integration.ts';
import { publishServiceStatus } from './saga-end.ts';
import { runSaga, SAGA_WATCH_SECONDS } from './saga.ts';
import type { ServiceRow } from './services.ts';
import { checkStoreDomain } from './store.ts';
import { monthsAfter } from './periods.ts';

/**
 * Buying web hosting (issue 17 item 3): everything checked (hosting on, plan sold, domain
 * valid and free here and at the panel, one live service per plan per organization), then one
 * transaction records the service (provisioning), charges the first month from the wallet
 * (guarded: refused when the balance does not cover it; `hosting:charge:<service>:<start>`),
 * writes the `hosting_charges` row and the saga's `charge` step, and enqueues a watch of the saga
 * (hosting.sagas for this service, SAGA_WATCH_SECONDS later). Then the saga runs (saga.ts).
 *
 * The purchase key (the form's hidden field, or the API's Idempotency-Key) makes a double
 * submit one service: UNIQUE (organization, purchase_key); the same domain bought twice at
 * once is one service too (a domain is live in at most one service).
 */

export const HOSTING_CLOSED = 'Web hosting is not available at the moment.';

const byKey = (db: DbOrTx, orgId: string, key: string) =>
  db
    .selectFrom('hosting_services')
    .selectAll()
    .where('organization_id', '=', orgId)
    .where('purchase_key', '=', key)
    .executeTakeFirst();

export async function purchaseHosting(
  deps: Deps,
  actor: Actor,
  input: { planId: unknown; domain: unknown; key: unknown },
  opts: { run?: boolean } = {},
): Promise<ServiceRow> {
  const orgId = authorize(actor, 'hosting_manage');
  const key = typeof input.key === 'string' ? input.key.trim() : '';
  if (!/^[\x21-\x7e]{8,200}$/.test(key))
    throw new ValidationError({ key: 'This form has expired: reload the page and try again.' });
  const earlier = await byKey(deps.db, orgId, key);
  if (earlier) return earlier;
  try {
    return await purchase(deps, actor, orgId, key, input, opts);
  } catch (err) {
    // The same key submitted at the same moment: the other request's service is the answer
    // (its domain and plan now look taken to this one).
    const first = await byKey(deps.db, orgId, key);
    if (first) return first;
    throw err;
  }
}

async function purchase(
  deps: Deps,
  actor: Actor,
  orgId: string,
  key: string,
  input: { planId: unknown; domain: unknown },
  opts: { run?: boolean },
): Promise<ServiceRow> {
  if (!(await hostingEnabled(deps.db))) throw new AppError('hosting_closed', 422, HOSTING_CLOSED);
  const integration = (await integrationRow(deps.db))!;

  const errors: Record<string, string> = {};
  const planId = typeof input.planId === 'string' ? input.planId.trim() : '';
  const plan = isUuid(planId)
    ? await deps.db
        .selectFrom('hosting_plans')
        .select(['id', 'name', 'monthly_price'])
        .where('id', '=', planId)
        .where('active', '=', true)
        .where('monthly_price', 'is not', null)
        .where('upstream_missing_at', 'is', null)
        .where('master_org_id', '=', integration.master_org_id!)
        .executeTakeFirst()
    : undefined;
  if (!plan) errors.plan_id = 'Choose a plan from the list.';
  const n = normaliseDomain(input.domain);
  if ('error' in n) errors.domain = n.error;
  if (!plan || 'error' in n) throw new ValidationError(errors);
  const domain = n.domain;

  const onPlan = await deps.db
    .selectFrom('hosting_services')
    .select('domain')
    .where('organization_id', '=', orgId)
    .where('plan_id', '=', plan.id)
    .where('status', 'in', ['provisioning', 'active', 'suspended'])
    .executeTakeFirst();
  if (onPlan)
    throw new ValidationError({
      plan_id: `Your account already has a website on this plan (${onPlan.domain}). Choose another plan.`,
    });
  const verdict = await checkStoreDomain(deps, actor, domain);
  if (!verdict.available) throw new ValidationError({ domain: verdict.message });

  const price = plan.monthly_price!;
  const now = deps.clock.now();
  // The first month: the billing anchor's (periods.ts), so renewals continue from its end.
  const end = monthsAfter(now, 1);
  let row: ServiceRow | null;
  try {
    row = await inTransaction(deps.db, async (trx) => {
      const wallet = await trx
        .selectFrom('wallets')
        .select(['id', 'balance', 'currency'])
        .where('organization_id', '=', orgId)
        .executeTakeFirstOrThrow();
      if (wallet.currency !== deps.config.BILLING_CURRENCY)
        throw new AppError(
          'currency_mismatch',
          422,
          `Web hosting is sold in ${deps.config.BILLING_CURRENCY}; this wallet holds ${wallet.currency}.`,
        );
      const service = await trx
        .insertInto('hosting_services')
        .values({
          organization_id: orgId,
          plan_id: plan.id,
          master_org_id: integration.master_org_id!,
          domain,
          monthly_price: price,
          purchase_key: key,
          created_by: actor.userId,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['organization_id', 'purchase_key']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!service) return null; // the same key won a race: its service is the answer
      let transactionId: string | null = null;
      if (price > 0n) {
        try {
          const posted = await post(trx, {
            idempotencyKey: `hosting:charge:${service.id}:${now.toISOString()}`,
            kind: 'hosting_charge',
            organizationId: orgId,
            currency: wallet.currency,
            description: `Web hosting ${domain} (${plan.name}): first month`,
            lines: [
              { walletId: wallet.id, amount: -price },
              { account: 'hosting_revenue', amount: price },
            ],
            createdBy: actor.userId,
            details: { hosting_service_id: service.id, period_start: now.toISOString() },
          });
          transactionId = posted.transactionId;
        } catch (err) {
          if (!(err instanceof InsufficientFundsError)) throw err;
          throw new InsufficientFundsError(
            `The wallet balance (${formatMoney(wallet.balance, wallet.currency)}) does not cover the first month of this plan (${formatMoney(price, wallet.currency)}). Add funds and try again.`,
          );
        }
      }
      const charge = await trx
        .insertInto('hosting_charges')
        .values({
          service_id: service.id,
          organization_id: orgId,
          period_start: now,
          period_end: end,
          amount: price,
          kind: 'purchase',
          ledger_transaction_id: transactionId,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('hosting_saga_steps')
        .values({
          service_id: service.id,
          step: 'charge',
          detail: JSON.stringify({
            charge_id: charge.id,
            amount: price.toString(),
            period_start: now,
            period_end: end,
          }) as never,
          done_at: now,
        })
        .execute();
      await recordActivity(
        trx,
        activityBy(actor, 'hosting.service_purchased', {
          target: { type: 'hosting_service', id: service.id },
          details: { domain, plan: plan.name, monthly_price: toDecimal(price) },
        }),
      );
      await publishServiceStatus(trx, service);
      // Committed with the purchase: if this process dies while the saga runs below, any other
      // takes it over a few seconds later (not at the next minute's sweep).
      await deps.queue.enqueue(trx, 'hosting.sagas', { serviceId: service.id }, { startAfter: SAGA_WATCH_SECONDS });
      return service;
    });
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'hosting_services_live_domain') {
      const held = await liveServiceFor(deps.db, domain);
      throw new ValidationError({ domain: held?.organization_id === orgId ? ALREADY_OURS : BEING_SET_UP });
    }
    throw err;
  }
  if (!row) return (await byKey(deps.db, orgId, key))!;
  if (opts.run !== false) {
    try {
      await runSaga(deps, row.id);
    } catch (err) {
      // Paid and recorded: the hosting.sagas job takes it from here.
      deps.log.error(
        { serviceId: row.id, err: adminMessage(err) },
        'hosting purchase saga stopped; the job resumes it',
      );
    }
  }
  return deps.db.selectFrom('hosting_services').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
}

export { resumeSagas, retrySaga, syncServiceFromPanel } from './resume.ts';
