import { sql } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import { parseMoney } from '../../lib/money.ts';
import type { PayPalCapture } from '../../providers/paypal/types.ts';
import type { QueueName } from '../../queue/index.ts';
import type { Deps } from '../deps.ts';

/**
 * Daily reconciliation of PayPal with the ledger (issue 4 item 7). It only reports: it never
 * moves money. For payments of the last 35 days that have a capture, or that are still
 * `created`/`pending` an hour after they started, it reads the capture from PayPal and writes
 * one `reconciliation_findings` row per problem (deduplicated per run date + payment + capture
 * + problem, so running it twice a day adds nothing):
 *
 *   completed_not_credited  PayPal says COMPLETED, no ledger credit `paypal:capture:<id>`
 *   credited_not_completed  a ledger credit, but PayPal's capture is not COMPLETED / REFUNDED
 *   amount_mismatch         PayPal's amount differs from the payment's
 *   currency_mismatch       PayPal's currency differs from the payment's
 *   pending_too_long        still pending (here or at PayPal) more than 72 hours after it started
 *   lookup_failed           PayPal could not tell us (the next run tries again)
 */
export const RECONCILE_QUEUE = 'billing.reconcile-payments' satisfies QueueName;
export const LOOKBACK_DAYS = 35;
export const STALE_AFTER_MS = 3_600_000;
export const PENDING_TOO_LONG_MS = 72 * 3_600_000;

export type Problem =
  | 'completed_not_credited'
  | 'credited_not_completed'
  | 'amount_mismatch'
  | 'currency_mismatch'
  | 'pending_too_long'
  | 'lookup_failed';

export interface Finding {
  paymentId: string;
  captureId: string | null;
  problem: Problem;
  details: Record<string, string | number | boolean | null>;
}

export interface ReconcileSummary extends Record<string, unknown> {
  run_date: string;
  checked: number;
  findings: number;
  new_findings: number;
  problems: Partial<Record<Problem, number>>;
  note?: string;
}

export async function reconcilePayments(
  deps: Pick<Deps, 'db' | 'clock' | 'log' | 'paypal'>,
): Promise<ReconcileSummary> {
  const now = deps.clock.now();
  const runDate = now.toISOString().slice(0, 10);
  const summary: ReconcileSummary = { run_date: runDate, checked: 0, findings: 0, new_findings: 0, problems: {} };
  if (!deps.paypal) return { ...summary, note: 'No PayPal is configured: nothing was checked.' };
  const paypal = deps.paypal;

  const payments = await deps.db
    .selectFrom('payments')
    .select(['id', 'status', 'amount', 'currency', 'provider_order_id', 'capture_id', 'created_at'])
    .where('created_at', '>=', new Date(now.getTime() - LOOKBACK_DAYS * 86_400_000))
    .where((eb) =>
      eb.or([
        eb('capture_id', 'is not', null),
        eb.and([
          eb('status', 'in', ['created', 'pending']),
          eb('created_at', '<', new Date(now.getTime() - STALE_AFTER_MS)),
        ]),
      ]),
    )
    .orderBy('created_at')
    .execute();

  const found: Finding[] = [];
  for (const p of payments) {
    summary.checked++;
    let capture: PayPalCapture | null = null;
    try {
      if (p.capture_id) capture = await paypal.getCapture(p.capture_id);
      else if (p.provider_order_id)
        capture = (await paypal.getOrder(p.provider_order_id)).purchase_units?.[0]?.payments?.captures?.[0] ?? null;
    } catch (err) {
      found.push({
        paymentId: p.id,
        captureId: p.capture_id,
        problem: 'lookup_failed',
        details: { error: (err instanceof Error ? err.message : String(err)).slice(0, 300) },
      });
      continue;
    }
    const captureId = capture?.id ?? p.capture_id;
    const credited = captureId
      ? Boolean(
          await deps.db
            .selectFrom('ledger_transactions')
            .select('id')
            .where('idempotency_key', '=', `paypal:capture:${captureId}`)
            .executeTakeFirst(),
        )
      : false;
    const base = { paymentId: p.id, captureId };
    const facts = { payment_status: p.status, paypal_status: capture?.status ?? null };
    if (capture) {
      if (capture.status === 'COMPLETED' && !credited)
        found.push({
          ...base,
          problem: 'completed_not_credited',
          details: { ...facts, amount: capture.amount.value, currency: capture.amount.currency_code },
        });
      if (credited && !['COMPLETED', 'REFUNDED', 'PARTIALLY_REFUNDED'].includes(capture.status))
        found.push({ ...base, problem: 'credited_not_completed', details: facts });
      const currency = p.currency;
      if (capture.amount.currency_code !== currency) {
        found.push({
          ...base,
          problem: 'currency_mismatch',
          details: { ...facts, ours: currency, paypal: capture.amount.currency_code },
        });
      } else if (parseMoney(capture.amount.value, 6) !== p.amount) {
        found.push({
          ...base,
          problem: 'amount_mismatch',
          details: { ...facts, ours: p.amount.toString(), paypal: capture.amount.value, currency },
        });
      }
    } else if (credited) {
      found.push({ ...base, problem: 'credited_not_completed', details: facts });
    }
    const pending = p.status === 'pending' || capture?.status === 'PENDING';
    if (pending && now.getTime() - p.created_at.getTime() > PENDING_TOO_LONG_MS) {
      found.push({ ...base, problem: 'pending_too_long', details: { ...facts, since: p.created_at.toISOString() } });
    }
  }

  summary.findings = found.length;
  for (const f of found) summary.problems[f.problem] = (summary.problems[f.problem] ?? 0) + 1;
  summary.new_findings = await inTransaction(deps.db, async (trx) => {
    // One writer per run date at a time: the dedup check and the insert are not raced.
    await sql`select pg_advisory_xact_lock(hashtext(${`reconcile:${runDate}`}))`.execute(trx);
    let added = 0;
    for (const f of found) {
      const res = await trx
        .insertInto('reconciliation_findings')
        .columns(['run_date', 'payment_id', 'capture_id', 'problem', 'details'])
        .expression(
          trx
            .selectNoFrom([
              sql<string>`${runDate}::date`.as('run_date'),
              sql<string>`${f.paymentId}::uuid`.as('payment_id'),
              sql<string | null>`${f.captureId}::text`.as('capture_id'),
              sql<string>`${f.problem}::text`.as('problem'),
              sql<string>`${JSON.stringify(f.details)}::jsonb`.as('details'),
            ])
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('reconciliation_findings')
                    .select('id')
                    .where(
                      sql<boolean>`run_date = ${runDate}::date and payment_id = ${f.paymentId}::uuid and capture_id is not distinct from ${f.captureId}::text and problem = ${f.problem}`,
                    ),
                ),
              ),
            ),
        )
        .executeTakeFirst();
      added += Number(res.numInsertedOrUpdatedRows ?? 0n);
    }
    return added;
  });
  if (summary.findings)
    deps.log.warn({ run_date: runDate, problems: summary.problems }, 'payment reconciliation found mismatches');
  return summary;
}
