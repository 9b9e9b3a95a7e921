import { sql } from 'kysely';
import type { DbOrTx } from '../src/db/index.ts';

/**
 * A fleet for the billing engine, written set-based (a few INSERT … SELECT statements, no
 * per-row round trips): `organizations` organizations with wallets holding `balance`, and
 * `servers` servers spread round-robin over them, all created at `createdAt` on `planId`
 * (billing period from that hour). Used by bench/billing.ts and the metering tests.
 */
export async function seedFleet(
  db: DbOrTx,
  opts: {
    organizations: number;
    servers: number;
    providerId: string;
    planId: string;
    createdAt: Date;
    backups?: boolean;
    balance?: bigint;
    currency?: string;
  },
): Promise<{ organizationIds: string[] }> {
  const tag = Math.random().toString(36).slice(2, 8);
  const orgs = await sql<{ id: string }>`
    insert into organizations (name, personal)
    select 'Fleet ' || ${tag}::text || ' ' || i, false from generate_series(1, ${opts.organizations}::int) i
    returning id`.execute(db);
  const ids = orgs.rows.map((r) => r.id);
  await sql`
    insert into wallets (organization_id, currency, balance)
    select id, ${opts.currency ?? 'USD'}::text, 0 from unnest(${ids}::uuid[]) id`.execute(db);
  if (opts.balance && opts.balance > 0n) {
    // Opening balances through the ledger, so each wallet's balance is the sum of its entries.
    await sql`
      with w as (select id, organization_id, row_number() over () as n from wallets where organization_id = any(${ids}::uuid[])),
      tx as (
        insert into ledger_transactions (idempotency_key, kind, organization_id, currency, description, details)
        select 'fleet:' || ${tag}::text || ':' || w.id, 'adjustment', w.organization_id, ${opts.currency ?? 'USD'}::text, 'Opening balance', '{}'
          from w returning id, organization_id
      ), e as (
        insert into ledger_entries (transaction_id, wallet_id, platform_account, amount, balance_after)
        select tx.id, w.id, null, ${opts.balance}::bigint, ${opts.balance}::bigint from tx join w using (organization_id)
        union all
        select tx.id, null, 'adjustments', -${opts.balance}::bigint, null from tx
        returning 1
      )
      update wallets set balance = ${opts.balance}::bigint where organization_id = any(${ids}::uuid[])`.execute(db);
  }
  await sql`
    with s as (
      insert into servers (organization_id, provider_id, plan_id, create_tag, label, region, image, status,
                           backups_enabled, created_at, updated_at)
      select (${ids}::uuid[])[1 + (i % ${ids.length}::int)], ${opts.providerId}::uuid, ${opts.planId}::uuid,
             'fleet-' || ${tag}::text || '-' || i, 'fleet-' || ${tag}::text || '-' || i, 'us-east', 'debian12', 'running',
             ${opts.backups ?? false}, ${opts.createdAt}::timestamptz, ${opts.createdAt}::timestamptz
        from generate_series(1, ${opts.servers}::int) i
      returning id, created_at
    )
    insert into server_billing_periods (server_id, effective_from, plan_id, backups)
    select id, date_trunc('hour', created_at), ${opts.planId}::uuid, ${opts.backups ?? false} from s`.execute(db);
  return { organizationIds: ids };
}
