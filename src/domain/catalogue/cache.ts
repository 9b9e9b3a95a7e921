import type { DbOrTx } from '../../db/index.ts';
import type { CatalogueKind } from '../../db/types.ts';
import type { CloudImage, CloudRegion, CloudScript, CloudType } from '../../providers/cloud.ts';

/**
 * The provider's catalogue as last read, stored in `cloud_catalogue` (one row per type, region,
 * image and script). refresh.ts writes it; pages, the wizard and the API read it here and never
 * call the provider to render a list. Money is stored as micro-unit strings (JSON has no bigint).
 */

/** A provider type as cached: the CloudType with its prices as micro-unit strings. */
type StoredType = Omit<CloudType, 'monthlyPrice' | 'hourlyPrice' | 'backupsMonthlyPrice' | 'regionPrices'> & {
  monthlyPrice: string;
  hourlyPrice: string;
  backupsMonthlyPrice: string;
  regionPrices: Array<{ region: string; monthlyPrice: string; hourlyPrice: string }>;
};

/** The JSON stored for a type (bigints as strings). */
export function storedType(t: CloudType): StoredType {
  return {
    ...t,
    monthlyPrice: String(t.monthlyPrice),
    hourlyPrice: String(t.hourlyPrice),
    backupsMonthlyPrice: String(t.backupsMonthlyPrice),
    regionPrices: t.regionPrices.map((p) => ({
      region: p.region,
      monthlyPrice: String(p.monthlyPrice),
      hourlyPrice: String(p.hourlyPrice),
    })),
  };
}

function typeOf(data: Record<string, unknown>): CloudType {
  const d = data as unknown as StoredType;
  return {
    ...d,
    monthlyPrice: BigInt(d.monthlyPrice),
    hourlyPrice: BigInt(d.hourlyPrice),
    backupsMonthlyPrice: BigInt(d.backupsMonthlyPrice),
    regionPrices: (d.regionPrices ?? []).map((p) => ({
      region: p.region,
      monthlyPrice: BigInt(p.monthlyPrice),
      hourlyPrice: BigInt(p.hourlyPrice),
    })),
  };
}

async function rows(db: DbOrTx, providerId: string, kind: CatalogueKind, externalId?: string) {
  let q = db
    .selectFrom('cloud_catalogue')
    .select(['external_id', 'data'])
    .where('provider_id', '=', providerId)
    .where('kind', '=', kind);
  if (externalId !== undefined) q = q.where('external_id', '=', externalId);
  return q.orderBy('external_id').execute();
}

/** The provider's cached types (plans it sells to us), cheapest first. */
export async function cachedTypes(db: DbOrTx, providerId: string): Promise<CloudType[]> {
  const types = (await rows(db, providerId, 'type')).map((r) => typeOf(r.data));
  return types.sort((a, b) => (a.monthlyPrice < b.monthlyPrice ? -1 : a.monthlyPrice > b.monthlyPrice ? 1 : 0));
}

export async function cachedType(db: DbOrTx, providerId: string, typeId: string): Promise<CloudType | null> {
  const [row] = await rows(db, providerId, 'type', typeId);
  return row ? typeOf(row.data) : null;
}

export async function cachedRegions(db: DbOrTx, providerId: string): Promise<CloudRegion[]> {
  return (await rows(db, providerId, 'region')).map((r) => r.data as unknown as CloudRegion);
}

export async function cachedImages(db: DbOrTx, providerId: string): Promise<CloudImage[]> {
  return (await rows(db, providerId, 'image')).map((r) => r.data as unknown as CloudImage);
}

export async function cachedScripts(db: DbOrTx, providerId: string): Promise<CloudScript[]> {
  return (await rows(db, providerId, 'script')).map((r) => r.data as unknown as CloudScript);
}

/** Cached scripts of several providers at once, keyed `${providerId}:${scriptId}`. */
export async function cachedScriptsById(
  db: DbOrTx,
  keys: Array<{ providerId: string; scriptId: string }>,
): Promise<Map<string, CloudScript>> {
  const out = new Map<string, CloudScript>();
  if (keys.length === 0) return out;
  const found = await db
    .selectFrom('cloud_catalogue')
    .select(['provider_id', 'external_id', 'data'])
    .where('kind', '=', 'script')
    .where((eb) =>
      eb.or(keys.map((k) => eb.and([eb('provider_id', '=', k.providerId), eb('external_id', '=', k.scriptId)]))),
    )
    .execute();
  for (const r of found) out.set(`${r.provider_id}:${r.external_id}`, r.data as unknown as CloudScript);
  return out;
}

/** How many entries of each kind the cache holds for a provider. */
export async function cacheSummary(db: DbOrTx, providerId: string) {
  const found = await db
    .selectFrom('cloud_catalogue')
    .select(['kind', (eb) => eb.fn.countAll<string>().as('n')])
    .where('provider_id', '=', providerId)
    .groupBy('kind')
    .execute();
  const n = (k: CatalogueKind) => Number(found.find((r) => r.kind === k)?.n ?? 0);
  return { types: n('type'), regions: n('region'), images: n('image'), scripts: n('script') };
}
