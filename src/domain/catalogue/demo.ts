import { sql } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import { MICROS } from '../../lib/money.ts';
import type { Deps } from '../deps.ts';
import { cachedImages, cachedScripts, cachedTypes } from './cache.ts';
import { baseCost } from './plans.ts';
import { refreshCatalogue } from './refresh.ts';

/**
 * The demo catalogue `npm start` sets up with the emulators on and no provider yet: a "Demo
 * cloud" provider answered by the process's own emulator (no real servers, nothing billed by
 * anyone), its catalogue read from it, three regions, categories, four plans with markups,
 * the images it lists and both deploy scripts as apps. Safe to call at every start and from
 * several processes at once: once any provider exists it does nothing.
 */

const REGIONS = [
  { id: 'us-east', label: 'US East (Newark)', country: 'us' },
  { id: 'eu-central', label: 'Europe (Frankfurt)', country: 'de' },
  { id: 'ap-south', label: 'Asia Pacific (Singapore)', country: 'sg' },
];
const CATEGORIES = [
  { cls: 'nanode', name: 'Starter' },
  { cls: 'standard', name: 'Shared CPU' },
  { cls: 'dedicated', name: 'Dedicated CPU' },
];
const PLANS = [
  { type: 'g6-nanode-1', name: 'Starter 1 GB', category: 'Starter', markup: 2n, regions: 3 },
  { type: 'g6-standard-1', name: 'Shared 2 GB', category: 'Shared CPU', markup: 3n, regions: 3 },
  { type: 'g6-standard-2', name: 'Shared 4 GB', category: 'Shared CPU', markup: 6n, regions: 3 },
  { type: 'g6-dedicated-2', name: 'Dedicated 4 GB', category: 'Dedicated CPU', markup: 9n, regions: 2 },
];
const APP_LABELS: Record<string, string> = { '401697': 'WordPress', '607433': 'Docker' };

export async function seedDemoCatalogue(deps: Pick<Deps, 'db' | 'clock' | 'clouds' | 'config'>): Promise<boolean> {
  if (!deps.config.emulatorsEnabled) return false;
  return inTransaction(deps.db, async (trx) => {
    await sql`select pg_advisory_xact_lock(724173)`.execute(trx);
    if (await trx.selectFrom('cloud_providers').select('id').limit(1).executeTakeFirst()) return false;
    const now = deps.clock.now();
    const provider = await trx
      .insertInto('cloud_providers')
      .values({ kind: 'linode', name: 'Demo cloud', emulated: true, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = provider.id;
    const tx = { ...deps, db: trx };
    await refreshCatalogue(tx, id);
    const { account } = await deps.clouds
      .forProvider({ id, kind: 'linode', emulated: true, base_url: null, token_ciphertext: null, updated_at: now })
      .validate();
    await trx
      .updateTable('cloud_providers')
      .set({ health: 'ok', account_label: account, validated_at: now })
      .where('id', '=', id)
      .execute();

    await trx
      .insertInto('server_regions')
      .values(
        REGIONS.map((r, i) => ({
          provider_id: id,
          region_id: r.id,
          label: r.label,
          country: r.country,
          display_order: i + 1,
        })),
      )
      .execute();
    await trx
      .insertInto('server_categories')
      .values(
        CATEGORIES.map((c, i) => ({ provider_id: id, provider_class: c.cls, name: c.name, display_order: i + 1 })),
      )
      .execute();

    const types = await cachedTypes(trx, id);
    let order = 0;
    for (const p of PLANS) {
      const type = types.find((t) => t.id === p.type);
      if (!type) continue;
      const regions = REGIONS.slice(0, p.regions).map((r) => r.id);
      const plan = await trx
        .insertInto('server_plans')
        .values({
          provider_id: id,
          provider_type: type.id,
          name: p.name,
          category: p.category,
          vcpus: type.vcpus,
          memory_mb: type.memoryMb,
          disk_gb: Math.max(1, Math.round(type.diskMb / 1024)),
          transfer_gb: type.transferGb,
          display_order: (order += 1),
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('server_plan_regions')
        .values(regions.map((region_id) => ({ plan_id: plan.id, region_id })))
        .execute();
      await trx
        .insertInto('server_plan_prices')
        .values({
          plan_id: plan.id,
          base_monthly: baseCost(type, regions),
          markup_monthly: p.markup * MICROS,
          // The provider's backups price and a dollar on top.
          backups_monthly: type.backupsMonthlyPrice + MICROS,
          currency: deps.config.BILLING_CURRENCY,
          effective_from: sql<Date>`date_trunc('hour', now())`,
        })
        .execute();
    }

    const images = (await cachedImages(trx, id)).filter((i) => !i.deprecated);
    if (images.length)
      await trx
        .insertInto('server_images')
        .values(images.map((i, n) => ({ provider_id: id, image_id: i.id, label: i.label, display_order: n + 1 })))
        .execute();
    const scripts = await cachedScripts(trx, id);
    for (const [n, s] of scripts.entries())
      await trx
        .insertInto('server_apps')
        .values({
          provider_id: id,
          script_id: s.id,
          label: APP_LABELS[s.id] ?? s.label,
          description: s.description,
          fields: s.fields.map((f) => f.name),
          display_order: n + 1,
          created_at: now,
        })
        .execute();
    return true;
  });
}
