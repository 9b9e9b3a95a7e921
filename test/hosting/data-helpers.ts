import { sql } from 'kysely';
import { useSiteWorld, type SiteWorld } from './site-helpers.ts';

/**
 * The data tabs' world (email, databases, WordPress, backups) is the site tabs' (site-helpers.ts):
 * an Enhance emulator on 127.0.0.1 reached by the app with the real client, the integration
 * saved, Olive (owner), Vera (viewer) and Gus (another organization), each signed in and with an
 * API token; jobs at the emulator end when the test says (`emu.finishJobs()`). Services here get
 * a customer organization and subscription of their own (Starter's limits per service: 5
 * mailboxes, 2 databases), made without the purchase saga.
 */
export type DataWorld = SiteWorld;
export const useDataWorld = useSiteWorld;
export { activityOf } from './site-helpers.ts';

/** An active service of `orgId` with a live website at the emulator (Starter: 5 mailboxes, 2 databases). */
export async function liveService(
  w: DataWorld,
  orgId: string,
  status: 'active' | 'suspended' | 'provisioning' = 'active',
) {
  const domain = `shop-${crypto.randomUUID().slice(0, 8)}.test`;
  const customer = await w.panel.createCustomer(`Customer ${domain}`);
  const [starter] = await w.panel.listPlans();
  const subId = await w.panel.createSubscription(customer, { planId: starter!.id });
  const websiteId = await w.panel.createWebsite(customer, { domain, subscriptionId: subId });
  const now = w.ctx.clock.now();
  const row = await w.ctx.db
    .insertInto('hosting_services')
    .values({
      organization_id: orgId,
      plan_id: w.planId,
      master_org_id: w.emu.masterOrgId,
      domain,
      status,
      monthly_price: 5_000_000n,
      enhance_org_id: customer,
      enhance_subscription_id: subId,
      enhance_website_id: status === 'provisioning' ? null : websiteId,
      period_start: now,
      period_end: new Date(now.getTime() + 30 * 86_400_000),
      suspended_at: status === 'suspended' ? now : null,
      suspended_by: status === 'suspended' ? 'dunning' : null,
      purchase_key: crypto.randomUUID(),
      saga_state: 'done',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, domain, orgId: customer, websiteId };
}

/** Every row of every table of the app's database as text, for "this secret is stored nowhere" checks. */
export async function everythingStored(w: DataWorld): Promise<string> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(w.ctx.db);
  const out: string[] = [];
  for (const t of tables.rows) {
    const { rows } = await sql<{ t: string }>`select x::text as t from ${sql.table(t.name)} x`.execute(w.ctx.db);
    for (const r of rows) out.push(r.t);
  }
  return out.join('\n');
}
