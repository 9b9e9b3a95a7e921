import { inTransaction } from '../../db/index.ts';
import type { CatalogueKind } from '../../db/types.ts';
import { CloudError } from '../../providers/cloud.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { storedType } from './cache.ts';
import { clientFor } from './health.ts';
import { providerRow } from './providers.ts';

/** The queue whose job refreshes every active provider's cached catalogue (every 6 hours). */
export const REFRESH_QUEUE = 'catalogue.refresh' as const;

export interface RefreshSummary {
  types: number;
  regions: number;
  images: number;
  scripts: number;
  removed: number;
}

/**
 * Reads the provider's catalogue once and writes it to `cloud_catalogue`: every entry
 * upserted, entries the provider no longer lists removed, in one transaction (a failed read
 * leaves the cache as it was). What staff allowed (regions, images, apps, plans) is kept even
 * when its entry vanished: pages show it as no longer offered by the provider.
 */
export async function refreshCatalogue(
  deps: Pick<Deps, 'db' | 'clock' | 'clouds'>,
  providerId: string,
): Promise<RefreshSummary> {
  const row = await providerRow(deps.db, providerId);
  const catalogue = await clientFor(deps, row).catalogue();
  const now = deps.clock.now();
  const entries: Record<CatalogueKind, Array<{ id: string; data: object }>> = {
    type: catalogue.types.map((t) => ({ id: t.id, data: storedType(t) })),
    region: catalogue.regions.map((r) => ({ id: r.id, data: r })),
    image: catalogue.images.map((i) => ({ id: i.id, data: i })),
    script: catalogue.scripts.map((s) => ({ id: s.id, data: s })),
  };
  return inTransaction(deps.db, async (trx) => {
    let removed = 0;
    for (const [kind, list] of Object.entries(entries) as Array<[CatalogueKind, Array<{ id: string; data: object }>]>) {
      if (list.length)
        await trx
          .insertInto('cloud_catalogue')
          .values(
            list.map((e) => ({
              provider_id: row.id,
              kind,
              external_id: e.id,
              data: JSON.stringify(e.data),
              refreshed_at: now,
            })),
          )
          .onConflict((oc) =>
            oc
              .columns(['provider_id', 'kind', 'external_id'])
              .doUpdateSet((eb) => ({ data: eb.ref('excluded.data'), refreshed_at: now })),
          )
          .execute();
      let gone = trx.deleteFrom('cloud_catalogue').where('provider_id', '=', row.id).where('kind', '=', kind);
      if (list.length)
        gone = gone.where(
          'external_id',
          'not in',
          list.map((e) => e.id),
        );
      const result = await gone.executeTakeFirst();
      removed += Number(result.numDeletedRows);
    }
    await trx.updateTable('cloud_providers').set({ catalogue_refreshed_at: now }).where('id', '=', row.id).execute();
    return {
      types: entries.type.length,
      regions: entries.region.length,
      images: entries.image.length,
      scripts: entries.script.length,
      removed,
    };
  });
}

/** Staff press "refresh now": the same refresh, recorded in the activity log. */
export async function refreshCatalogueNow(deps: Deps, actor: Actor, providerId: string): Promise<RefreshSummary> {
  requirePlatformAdmin(actor);
  const summary = await refreshCatalogue(deps, providerId);
  await recordActivity(deps.db, {
    action: 'admin.catalogue_refreshed',
    actorUserId: actor.userId,
    target: { type: 'cloud_provider', id: providerId },
    origin: actor.origin,
    occurredAt: deps.clock.now(),
    details: { ...summary },
  });
  return summary;
}

/**
 * The scheduled refresh: every active provider in turn. A provider that cannot be read keeps
 * its cache and is named in the summary (the others still refresh); safe to run twice.
 */
export async function refreshAllCatalogues(deps: Pick<Deps, 'db' | 'clock' | 'clouds'>) {
  const providers = await deps.db.selectFrom('cloud_providers').select('id').where('active', '=', true).execute();
  const failed: Array<{ provider: string; error: string }> = [];
  let refreshed = 0;
  for (const p of providers) {
    try {
      await refreshCatalogue(deps, p.id);
      refreshed += 1;
    } catch (err) {
      if (!(err instanceof CloudError)) throw err;
      failed.push({ provider: p.id, error: err.message });
    }
  }
  return { providers: providers.length, refreshed, failed };
}
