import { sql } from 'kysely';
import type { Config } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { createAccessToken } from '../src/domain/accounts/access-tokens.ts';
import type { CloudProvider } from '../src/providers/cloud.ts';

/**
 * What the page benches read, written set-based into the tables (no per-row round trips) for
 * the bench user's organization: an emulated provider row (answered by the Linode emulator the
 * services started) with a plan and its price, `servers` servers — the first backed by a real
 * instance in that emulator, because a server's page reads live status, transfer, graphs and
 * addresses from its provider at request time — and `transactions` wallet transactions over the
 * last 30 days (adjustments, each with its two ledger entries and a running balance). Also an
 * access token for the JSON API.
 */
export async function seedPages(
  db: Db,
  config: Config,
  cloud: CloudProvider,
  opts: { email: string; servers: number; transactions: number },
): Promise<{ serverId: string; token: string }> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'active_organization_id'])
    .where('email', '=', opts.email)
    .executeTakeFirstOrThrow();
  const organizationId = user.active_organization_id!;

  const provider = await db
    .insertInto('cloud_providers')
    .values({ kind: 'linode', name: 'Bench cloud', emulated: true, health: 'ok' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('server_regions')
    .values({ provider_id: provider.id, region_id: 'us-east', label: 'New York', country: 'us', display_order: 1 })
    .execute();
  await db
    .insertInto('server_images')
    .values({ provider_id: provider.id, image_id: 'linode/debian12', label: 'Debian 12', display_order: 1 })
    .execute();
  const plan = await db
    .insertInto('server_plans')
    .values({
      provider_id: provider.id,
      provider_type: 'g6-standard-1',
      name: 'Bench 2 GB',
      category: 'Shared CPU',
      vcpus: 1,
      memory_mb: 2048,
      disk_gb: 50,
      transfer_gb: 2000,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('server_plan_regions').values({ plan_id: plan.id, region_id: 'us-east' }).execute();
  await db
    .insertInto('server_plan_prices')
    .values({
      plan_id: plan.id,
      base_monthly: 10_000_000n,
      markup_monthly: 2_000_000n,
      backups_monthly: 2_000_000n,
      currency: 'USD',
      effective_from: new Date('2020-01-01T00:00:00Z'),
    })
    .execute();

  const instance = await cloud.create({
    label: 'bench-1',
    region: 'us-east',
    type: 'g6-standard-1',
    image: 'linode/debian12',
    rootPassword: 'Bench-root-password-1!',
    authorizedKeys: [],
    backups: false,
    privateIp: false,
    tag: 'bench-1',
  });
  const created = new Date(Date.now() - 3 * 86_400_000);
  const servers = await sql<{ id: string }>`
    with s as (
      insert into servers (organization_id, provider_id, plan_id, provider_instance_id, create_tag, label, region,
                           image, status, ipv4, created_at, updated_at)
      select ${organizationId}::uuid, ${provider.id}::uuid, ${plan.id}::uuid,
             case when i = 1 then ${String(instance.id)}::text end, 'bench-' || i, 'bench-' || i, 'us-east',
             'linode/debian12', 'running', array['192.0.2.' || (i % 250 + 1)], ${created}::timestamptz - (i || ' minutes')::interval,
             ${created}::timestamptz
        from generate_series(1, ${opts.servers}::int) i
      returning id, label, created_at
    ), p as (
      insert into server_billing_periods (server_id, effective_from, plan_id, backups)
      select id, date_trunc('hour', created_at), ${plan.id}::uuid, false from s
    )
    select id from s where label = 'bench-1'`.execute(db);

  // Adjustments of 1.00 to 3.00, spread over the last 30 days, each with a running balance.
  await sql`
    with w as (select id, organization_id from wallets where organization_id = ${organizationId}::uuid),
    tx as (
      insert into ledger_transactions (idempotency_key, kind, organization_id, currency, description, details, created_at)
      select 'bench:' || i, 'adjustment', w.organization_id, 'USD', 'Bench credit ' || i, '{}',
             now() - ((${opts.transactions}::int - i) * interval '3 hours')
        from w, generate_series(1, ${opts.transactions}::int) i
      returning id, created_at, (1 + (substr(idempotency_key, 7)::int % 3)) * 1000000::bigint as amount
    ), ordered as (
      select tx.*, sum(amount) over (order by created_at, id) as running from tx
    ), e as (
      insert into ledger_entries (transaction_id, wallet_id, platform_account, amount, balance_after, created_at)
      select o.id, w.id, null, o.amount, o.running, o.created_at from ordered o, w
      union all
      select o.id, null, 'adjustments', -o.amount, null, o.created_at from ordered o
      returning 1
    )
    update wallets set balance = (select coalesce(max(running), 0) from ordered)
     where organization_id = ${organizationId}::uuid`.execute(db);
  await sql`analyze`.execute(db);

  const { token } = await createAccessToken(db, config, user.id, { ip: '127.0.0.1', userAgent: 'bench' }, new Date());
  return { serverId: servers.rows[0]!.id, token };
}
