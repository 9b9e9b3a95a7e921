import { sql } from 'kysely';
import { inTransaction, type Tx } from '../../db/index.ts';
import type { BillingReminderKind } from '../../db/types.ts';
import { formatMoney } from '../../lib/money.ts';
import type { Deps } from '../deps.ts';
import { lowBalanceThreshold } from '../settings/billing-policy.ts';
import { billedServerRows, hourlyBurnOf, runwayDays } from '../wallets/summary.ts';
import { emailBillingContacts, organizationLink } from './contacts.ts';
import { notifyReminder } from './emit.ts';

/**
 * Low-balance and runway reminders (issue 12 item 8, BILLING.md "Dunning"), sent by the hourly
 * `billing.reminders` job to the billing contacts who keep billing mail on (contacts.ts).
 *
 * Who: organizations whose balance is ≥ 0 and that pay for at least one billed server (the
 * burn: wallets/summary.ts, the same numbers as the runway card). An organization in arrears
 * (balance < 0) is dunning's to mail; one with nothing billed is not reminded (nothing draws
 * from its wallet, and a new empty account would be mailed every day).
 *
 *   low_balance  balance < LOW_BALANCE_THRESHOLD, or < 24 hours of the burn. At most once per
 *                organization and UTC day: a `billing_reminders` row (organization, kind, day)
 *                is inserted … on conflict do nothing, and only an inserted row is mailed.
 *   runway       runway = balance / hourly burn. One email when it first drops to 7 days or
 *                less, one when it drops to 3 days or less; each threshold is marked in
 *                `billing_runway_marks` and not mailed again until the runway is back above it
 *                (the mark is deleted: re-armed). A drop past both at once sends one email
 *                (3 days) and marks both. Arrears keep the marks as they are. Each threshold is
 *                also at most once a day (`runway_7` / `runway_3` rows), however often it re-arms.
 *                An organization sent a low-balance email in the same run gets no runway email
 *                (that one says how many hours are left); its thresholds are marked all the same.
 *
 * Each reminder also reaches the bell of everyone who may see billing (emit.ts), once a day
 * per kind like its email.
 *
 * Everything runs in one transaction, selected set-based: one query reads every billed server
 * of every organization at or above zero; each write is one statement over all organizations.
 * Safe to run twice or concurrently: the second run's inserts do nothing.
 */
export const RUNWAY_REMINDER_DAYS = [7, 3] as const;

type ReminderDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'queue'>;

interface Standing {
  organizationId: string;
  balance: bigint;
  burn: bigint;
  currency: string;
}

export type RemindersSummary = {
  day: string;
  organizations: number;
  lowBalance: number;
  runway: number;
  emails: number;
};

export async function sendBillingReminders(deps: ReminderDeps): Promise<RemindersSummary> {
  const now = deps.clock.now();
  const day = now.toISOString().slice(0, 10);
  // The threshold staff set (Platform settings → Billing), else LOW_BALANCE_THRESHOLD.
  const threshold = await lowBalanceThreshold(deps);
  return inTransaction(deps.db, async (trx) => {
    const standings = await standingsAtOrAboveZero(trx);
    const low = standings.filter((s) => s.balance < threshold || s.balance < s.burn * 24n);

    const crossed = standings.flatMap((s) =>
      RUNWAY_REMINDER_DAYS.filter((d) => s.balance <= s.burn * 24n * BigInt(d)).map((days) => ({ s, days })),
    );
    await rearmRunways(trx, crossed);
    const fired = await markRunways(trx, crossed, now);
    // Per organization, the lowest threshold newly crossed.
    const runway = new Map<string, { s: Standing; days: number }>();
    for (const f of fired)
      if ((runway.get(f.s.organizationId)?.days ?? Infinity) > f.days) runway.set(f.s.organizationId, f);

    const lowDue = await recordReminders(
      trx,
      day,
      now,
      low.map((s) => ({ s, kind: 'low_balance' as const })),
    );
    // The low-balance email already says how many hours are left: no runway email beside it.
    for (const d of lowDue) runway.delete(d.s.organizationId);
    const runwayDue = await recordReminders(
      trx,
      day,
      now,
      [...runway.values()].map(({ s, days }) => ({ s, kind: `runway_${days}` as BillingReminderKind, days })),
    );

    const names = await organizationNames(
      trx,
      [...lowDue, ...runwayDue].map((r) => r.s.organizationId),
    );
    let emails = 0;
    for (const { s, kind } of [...lowDue, ...runwayDue]) {
      const sent = await mailReminder(deps, trx, s, kind, names.get(s.organizationId) ?? '', threshold);
      await notifyReminder(trx, {
        organizationId: s.organizationId,
        kind,
        day,
        balance: s.balance,
        currency: s.currency,
      });
      await trx
        .updateTable('billing_reminders')
        .set({ emails: sent })
        .where('organization_id', '=', s.organizationId)
        .where('kind', '=', kind)
        .where('day', '=', sql<Date>`${day}::date`)
        .execute();
      emails += sent;
    }
    return { day, organizations: standings.length, lowBalance: lowDue.length, runway: runwayDue.length, emails };
  });
}

/** Every organization with balance ≥ 0 and a billed server, with its hourly burn: one query. */
async function standingsAtOrAboveZero(trx: Tx): Promise<Standing[]> {
  const rows = await billedServerRows(trx)
    .innerJoin('wallets as w', 'w.organization_id', 's.organization_id')
    .select(['w.balance', 'w.currency'])
    .where('w.balance', '>=', 0n)
    .execute();
  const byOrg = new Map<string, { rows: typeof rows; balance: bigint; currency: string }>();
  for (const r of rows) {
    const o = byOrg.get(r.organization_id) ?? { rows: [], balance: r.balance, currency: r.currency };
    o.rows.push(r);
    byOrg.set(r.organization_id, o);
  }
  return [...byOrg]
    .map(([organizationId, o]) => ({
      organizationId,
      balance: o.balance,
      currency: o.currency,
      burn: hourlyBurnOf(o.rows),
    }))
    .filter((s) => s.burn > 0n);
}

/** Deletes the marks of organizations at or above zero whose runway is back above the threshold. */
async function rearmRunways(trx: Tx, crossed: { s: Standing; days: number }[]): Promise<void> {
  const orgs = crossed.map((c) => c.s.organizationId);
  const days = crossed.map((c) => c.days);
  await sql`
    delete from billing_runway_marks m
    using wallets w
    where w.organization_id = m.organization_id
      and w.balance >= 0
      and not exists (
        select 1 from unnest(${orgs}::uuid[], ${days}::int[]) as c(org, days)
        where c.org = m.organization_id and c.days = m.days
      )
  `.execute(trx);
}

/** Marks each crossed threshold; returns those newly marked (not mailed since the last re-arm). */
async function markRunways(trx: Tx, crossed: { s: Standing; days: number }[], now: Date) {
  if (!crossed.length) return [];
  const { rows } = await sql<{ organization_id: string; days: number }>`
    insert into billing_runway_marks (organization_id, days, marked_at)
    select org, days, ${now} from unnest(${crossed.map((c) => c.s.organizationId)}::uuid[], ${crossed.map((c) => c.days)}::int[]) as c(org, days)
    on conflict do nothing
    returning organization_id, days
  `.execute(trx);
  const fired = new Set(rows.map((r) => `${r.organization_id}:${r.days}`));
  return crossed.filter((c) => fired.has(`${c.s.organizationId}:${c.days}`));
}

/** Inserts today's reminder rows; returns the ones that went in (not already sent today). */
async function recordReminders<T extends { s: Standing; kind: BillingReminderKind }>(
  trx: Tx,
  day: string,
  now: Date,
  due: T[],
): Promise<T[]> {
  if (!due.length) return [];
  const { rows } = await sql<{ organization_id: string; kind: string }>`
    insert into billing_reminders (organization_id, kind, day, balance, hourly_burn, sent_at)
    select org, kind, ${day}::date, balance, burn, ${now}
    from unnest(
      ${due.map((d) => d.s.organizationId)}::uuid[],
      ${due.map((d) => d.kind)}::text[],
      ${due.map((d) => d.s.balance.toString())}::bigint[],
      ${due.map((d) => d.s.burn.toString())}::bigint[]
    ) as r(org, kind, balance, burn)
    on conflict do nothing
    returning organization_id, kind
  `.execute(trx);
  const inserted = new Set(rows.map((r) => `${r.organization_id}:${r.kind}`));
  return due.filter((d) => inserted.has(`${d.s.organizationId}:${d.kind}`));
}

async function organizationNames(trx: Tx, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await trx.selectFrom('organizations').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

function mailReminder(
  deps: ReminderDeps,
  trx: Tx,
  s: Standing,
  kind: BillingReminderKind,
  organization: string,
  threshold: bigint,
) {
  const money = (n: bigint, digits = 2) => formatMoney(n, s.currency, digits);
  const topUpUrl = organizationLink(deps.config.publicUrl, s.organizationId, '/billing');
  if (kind === 'low_balance')
    return emailBillingContacts(deps, trx, s.organizationId, 'low_balance', (contact) => ({
      name: contact.name,
      organization,
      balance: money(s.balance),
      threshold: money(threshold),
      hourlyBurn: money(s.burn, 4),
      hoursLeft: s.burn > 0n ? Number(s.balance / s.burn) : -1,
      topUpUrl,
    }));
  return emailBillingContacts(deps, trx, s.organizationId, 'runway', (contact) => ({
    name: contact.name,
    organization,
    days: kind === 'runway_3' ? 3 : 7,
    runwayDays: (runwayDays(s.balance, s.burn) ?? 0).toFixed(1),
    balance: money(s.balance),
    hourlyBurn: money(s.burn, 4),
    topUpUrl,
  }));
}
