import { sql } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import { MICROS } from '../../lib/money.ts';
import { hostingClient, type HostingDeps } from './connector.ts';
import { COLUMNS, HOSTING_LOCK } from './integration.ts';
import { applyPlans } from './plans.ts';

/**
 * The demo hosting `npm start` sets up with the emulators on and no hosting integration yet:
 * an integration marked "Demo", answered in process by the Enhance emulator the app mounts at
 * /_emulators/enhance (no real websites), turned on, health checked, and the emulator's plans
 * synced and priced 5.00 / 12.00 / 25.00 a month (the cheapest first; any others stay
 * unpriced and inactive). Safe at every start and from several processes at once: once an
 * integration exists (demo or real) it does nothing. Never with the emulators off.
 */

const PRICES = [5n * MICROS, 12n * MICROS, 25n * MICROS];
const DESCRIPTIONS = [
  'One website with email and databases: for a personal site or a small business.',
  'More room and more mailboxes for a growing business.',
  'For agencies and busy sites: many websites under one plan.',
];

export async function seedDemoHosting(deps: HostingDeps): Promise<boolean> {
  const emu = deps.emulators?.enhance;
  if (!deps.config.emulatorsEnabled || !emu) return false;
  const masterOrgId = emu.masterOrgId;
  return inTransaction(deps.db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${HOSTING_LOCK})`.execute(trx);
    if (await trx.selectFrom('hosting_integration').select('id').executeTakeFirst()) return false;
    const now = deps.clock.now();
    const row = await trx
      .insertInto('hosting_integration')
      .values({
        id: 1,
        enabled: true,
        demo: true,
        master_org_id: masterOrgId,
        created_at: now,
        updated_at: now,
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    const client = hostingClient(deps, row);
    const health = await client.health();
    const plans = (await client.listPlans()).sort((a, b) => a.id - b.id);
    if (plans.length) await applyPlans(trx, masterOrgId, plans, now);
    await trx
      .updateTable('hosting_integration')
      .set({ health: health.ok ? 'ok' : 'error', health_message: health.ok ? null : health.message, checked_at: now })
      .where('id', '=', 1)
      .execute();
    for (const [i, p] of plans.slice(0, PRICES.length).entries())
      await trx
        .updateTable('hosting_plans')
        .set({ monthly_price: PRICES[i]!, description: DESCRIPTIONS[i]!, active: true, position: i + 1 })
        .where('master_org_id', '=', masterOrgId)
        .where('enhance_plan_id', '=', p.id)
        .execute();
    return true;
  });
}
