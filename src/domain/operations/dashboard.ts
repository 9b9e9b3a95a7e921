import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';
import { LIVE_STATUSES } from '../servers/status.ts';

/**
 * The admin dashboard's figures (/admin): money in and earned per UTC day for the last 30 days
 * from the ledger, sign-ups per day, and what needs staff now (live servers, open tickets,
 * organizations in arrears, failed jobs in the last 24 hours). Three queries, run together,
 * and the result kept for the data cache's time-to-live (30 s) or until this process writes:
 * a dashboard may lag a few seconds behind, never a list it links to.
 *
 * Revenue comes from the platform side of the ledger, so each posting counts once:
 * - top-ups: what PayPal captures credited to wallets (the clearing account's side of `top_up`
 *   postings; a later reversal or refund is not subtracted from the day of the top-up);
 * - usage: the VPS, transfer and hosting revenue accounts, net of that day's usage refunds
 *   (a refund of a server's unused minutes is a negative on the day it was made).
 */

export const DASHBOARD_DAYS = 30;
const DAY_MS = 86_400_000;
const REVENUE_ACCOUNTS = ['vps_revenue', 'egress_revenue', 'hosting_revenue'] as const;
const CLOSED_TICKETS = ['resolved', 'closed'] as const;

export interface DayFigures {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  topUps: bigint;
  usage: bigint;
  signUps: number;
}

export interface Dashboard {
  currency: string;
  days: DayFigures[];
  totals: { topUps: bigint; usage: bigint; signUps: number };
  users: number;
  organizations: number;
  admins: number;
  queuedEmails: number;
  liveServers: number;
  runningServers: number;
  openTickets: number;
  unassignedTickets: number;
  arrearsOrganizations: number;
  /** The sum of the balances below zero (a negative amount, or 0). */
  arrearsTotal: bigint;
  /** Recorded runs of scheduled jobs that failed in the last 24 hours (job_runs), and their queues. */
  failedRuns: number;
  failedQueues: string[];
  /** Jobs pg-boss gave up on or is retrying after a failure, in the last 24 hours. */
  failedJobs: number;
  generatedAt: Date;
}

/** The figures, cached briefly (`deps.cache`); staff only. */
export async function adminDashboard(deps: Pick<Deps, 'db' | 'clock' | 'cache' | 'config'>, actor: Actor) {
  requirePlatformAdmin(actor);
  const now = deps.clock.now();
  // Keyed by the day too, so a new day's window starts at once.
  const key = `admin:dashboard:${now.toISOString().slice(0, 10)}`;
  return deps.cache.read(key, ['admin:dashboard'], () => loadDashboard(deps.db, now, deps.config.BILLING_CURRENCY));
}

/** The UTC days of the window ending today, oldest first. */
export function dashboardDays(now: Date, count = DASHBOARD_DAYS): string[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return Array.from({ length: count }, (_, i) => new Date(today - (count - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

export async function loadDashboard(db: DbOrTx, now: Date, currency: string): Promise<Dashboard> {
  const days = dashboardDays(now);
  const since = new Date(`${days[0]}T00:00:00Z`);
  const dayAgo = new Date(now.getTime() - DAY_MS);
  const [money, signUps, counts] = await Promise.all([
    // Revenue accounts alone (no join: hourly charges are most of the ledger); top-ups joined
    // to their transactions (few) for the kind. One platform currency (BILLING.md): the
    // transaction's currency is checked where the join is made anyway.
    sql<{ day: string; top_ups: string; usage: string }>`
      select to_char(day, 'YYYY-MM-DD') as day, sum(top_ups)::text as top_ups, sum(usage)::text as usage from (
        select date_trunc('day', e.created_at at time zone 'UTC') as day, 0 as top_ups, sum(e.amount) as usage
          from ledger_entries e
         where e.platform_account in (${sql.join(REVENUE_ACCOUNTS)}) and e.created_at >= ${since}
         group by 1
        union all
        select date_trunc('day', e.created_at at time zone 'UTC'), sum(-e.amount), 0
          from ledger_entries e
          join ledger_transactions t on t.id = e.transaction_id
         where e.platform_account = 'paypal_clearing' and e.created_at >= ${since}
           and t.kind = 'top_up' and t.currency = ${currency}
         group by 1
      ) d
      group by 1`.execute(db),
    sql<{ day: string; n: number }>`
      select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
        from users where created_at >= ${since} group by 1`.execute(db),
    sql<Record<string, string | number | string[] | null>>`
      select
        (select count(*)::int from users) as users,
        (select count(*)::int from users where is_admin) as admins,
        (select count(*)::int from organizations) as organizations,
        (select count(*)::int from emails where status = 'queued') as queued_emails,
        (select count(*)::int from servers where deleted_at is null and status in (${sql.join([...LIVE_STATUSES])})) as live_servers,
        (select count(*)::int from servers where deleted_at is null and status = 'running') as running_servers,
        (select count(*)::int from tickets where status not in (${sql.join([...CLOSED_TICKETS])})) as open_tickets,
        (select count(*)::int from tickets where status not in (${sql.join([...CLOSED_TICKETS])}) and assignee_id is null) as unassigned_tickets,
        (select count(*)::int from wallets w
          where w.balance < 0
             or exists (select 1 from dunning_cases c where c.organization_id = w.organization_id and c.lifted_at is null)) as arrears_organizations,
        (select coalesce(sum(balance), 0)::text from wallets where balance < 0) as arrears_total,
        (select count(*)::int from job_runs where status = 'failed' and started_at >= ${dayAgo}) as failed_runs,
        (select coalesce(array_agg(distinct queue order by queue), '{}') from job_runs where status = 'failed' and started_at >= ${dayAgo}) as failed_queues,
        (select count(*)::int from (
           select id from pgboss.job where state in ('failed', 'retry') and coalesce(completed_on, started_on, created_on) >= ${dayAgo}
           union all
           select id from pgboss.archive where state = 'failed' and coalesce(completed_on, started_on, created_on) >= ${dayAgo}
         ) f) as failed_jobs`.execute(db),
  ]);
  const moneyBy = new Map(money.rows.map((r) => [r.day, r]));
  const signUpsBy = new Map(signUps.rows.map((r) => [r.day, r.n]));
  const series = days.map((day) => ({
    day,
    topUps: BigInt(moneyBy.get(day)?.top_ups ?? '0'),
    usage: BigInt(moneyBy.get(day)?.usage ?? '0'),
    signUps: signUpsBy.get(day) ?? 0,
  }));
  const c = counts.rows[0]!;
  return {
    currency,
    days: series,
    totals: {
      topUps: series.reduce((s, d) => s + d.topUps, 0n),
      usage: series.reduce((s, d) => s + d.usage, 0n),
      signUps: series.reduce((s, d) => s + d.signUps, 0),
    },
    users: Number(c.users),
    organizations: Number(c.organizations),
    admins: Number(c.admins),
    queuedEmails: Number(c.queued_emails),
    liveServers: Number(c.live_servers),
    runningServers: Number(c.running_servers),
    openTickets: Number(c.open_tickets),
    unassignedTickets: Number(c.unassigned_tickets),
    arrearsOrganizations: Number(c.arrears_organizations),
    arrearsTotal: BigInt(c.arrears_total as string),
    failedRuns: Number(c.failed_runs),
    failedQueues: c.failed_queues as string[],
    failedJobs: Number(c.failed_jobs),
    generatedAt: now,
  };
}
