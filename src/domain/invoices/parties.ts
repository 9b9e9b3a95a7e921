import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { getStoredSite } from '../settings/site.ts';

/**
 * Who sells and who buys, as snapshots copied into each invoice when it is issued: a later
 * change of the platform's seller settings or of the organization's name, address or tax id
 * never alters an issued invoice.
 */
export interface Party {
  name: string;
  address: string | null;
  tax_id: string | null;
  email: string | null;
}

/** The platform setting holding the seller's details (`platform_settings.key`). */
export const SELLER_SETTING = 'seller';

const text = z
  .string()
  .trim()
  .max(1000)
  .nullish()
  .transform((v) => v || null);
const sellerSetting = z.object({ name: text, address: text, tax_id: text, email: text });

/**
 * The seller as staff set it (Platform settings → Support and invoices: `site` → `seller`,
 * src/domain/settings/site.ts), each part falling back to the older `seller` setting
 * (`{ name, address, tax_id, email }`), the name finally to the brand (staff's brand name,
 * else `brandName`), so an invoice can always be issued.
 */
export async function sellerDetails(db: DbOrTx, brandName: string): Promise<Party> {
  const row = await db
    .selectFrom('platform_settings')
    .select('value')
    .where('key', '=', SELLER_SETTING)
    .executeTakeFirst();
  const parsed = sellerSetting.safeParse(row?.value ?? {});
  const legacy = parsed.success ? parsed.data : { name: null, address: null, tax_id: null, email: null };
  const site = await getStoredSite(db);
  const own = (v: string) => v.trim() || null;
  return {
    name: own(site.seller.name) ?? legacy.name ?? site.brandName ?? brandName,
    address: own(site.seller.address) ?? legacy.address,
    tax_id: own(site.seller.taxId) ?? legacy.tax_id,
    email: own(site.seller.email) ?? legacy.email,
  };
}

/** The organization as a buyer: its name, address and tax id today. */
export async function buyerDetails(db: DbOrTx, organizationId: string): Promise<Party> {
  const o = await db
    .selectFrom('organizations')
    .select(['name', 'address', 'tax_id'])
    .where('id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return { name: o.name, address: o.address, tax_id: o.tax_id, email: null };
}

/** A stored snapshot back into a Party (older snapshots may lack fields). */
export function readParty(raw: Record<string, unknown>): Party {
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  return { name: str(raw.name) ?? '', address: str(raw.address), tax_id: str(raw.tax_id), email: str(raw.email) };
}
