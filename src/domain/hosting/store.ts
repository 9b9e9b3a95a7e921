import type { DbOrTx } from '../../db/index.ts';
import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { ValidationError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { hostingClient, type HostingDeps } from './connector.ts';
import {
  ALREADY_OURS,
  BEING_SET_UP,
  checkDomainAt,
  liveServiceFor,
  normaliseDomain,
  type DomainVerdict,
} from './domains-check.ts';
import { integrationRow } from './integration.ts';
import type { HostingResource } from './plans.ts';

/**
 * What the store sells: the active, priced plans of the panel connected now, in staff's
 * order, and the domain check the buy form asks as the customer types.
 */

export interface StorePlan {
  id: string;
  name: string;
  description: string;
  monthlyPrice: bigint;
  resources: HostingResource[];
  phpVersions: string[];
  allowances: string[];
}

export async function storePlans(db: DbOrTx, opts: { cache?: DataCache } = {}): Promise<StorePlan[]> {
  if (opts.cache) return opts.cache.read('hosting-store-plans', [CATALOGUE], () => storePlans(db));
  const mo = (await integrationRow(db))?.master_org_id ?? null;
  if (!mo) return [];
  const rows = await db
    .selectFrom('hosting_plans')
    .select(['id', 'name', 'description', 'monthly_price', 'resources', 'php_versions', 'allowances'])
    .where('active', '=', true)
    .where('monthly_price', 'is not', null)
    .where('upstream_missing_at', 'is', null)
    .where('master_org_id', '=', mo)
    .orderBy('position')
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    monthlyPrice: r.monthly_price!,
    resources: r.resources,
    phpVersions: r.php_versions,
    allowances: r.allowances.map((a) => a.name),
  }));
}

/**
 * The store's live domain check (hosting_manage): the domain normalised, then our own services
 * (any organization's live one holds it), then the panel, from the organization's customer org
 * if it has one. Bad input is a field error (ValidationError) like the purchase's.
 */
export async function checkStoreDomain(deps: HostingDeps, actor: Actor, raw: unknown): Promise<DomainVerdict> {
  const orgId = authorize(actor, 'hosting_manage');
  const n = normaliseDomain(raw);
  if ('error' in n) throw new ValidationError({ domain: n.error });
  const held = await liveServiceFor(deps.db, n.domain);
  if (held)
    return {
      domain: n.domain,
      state: held.organization_id === orgId ? 'inUseCurrentOrg' : 'inUseAnotherOrg',
      available: false,
      message: held.organization_id === orgId ? ALREADY_OURS : BEING_SET_UP,
      websiteId: null,
    };
  const integration = await integrationRow(deps.db);
  if (!integration?.master_org_id) throw new ValidationError({ domain: 'Web hosting is not available at the moment.' });
  const customer = await deps.db
    .selectFrom('hosting_customers')
    .select('enhance_org_id')
    .where('organization_id', '=', orgId)
    .where('master_org_id', '=', integration.master_org_id)
    .executeTakeFirst();
  return checkDomainAt(
    hostingClient(deps, integration),
    customer?.enhance_org_id ?? integration.master_org_id,
    n.domain,
  );
}

/** The wallet the store charges (its balance and currency), shown beside the buy button. */
export async function storeWallet(db: DbOrTx, actor: Actor): Promise<{ balance: bigint; currency: string } | null> {
  const orgId = authorize(actor, 'hosting_view');
  return (
    (await db
      .selectFrom('wallets')
      .select(['balance', 'currency'])
      .where('organization_id', '=', orgId)
      .executeTakeFirst()) ?? null
  );
}
