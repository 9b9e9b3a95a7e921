import type { Selectable } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import type { HostingServicesTable, HostingServiceStatus } from '../../db/types.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Permission } from '../access/permissions.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';

/**
 * Hosting services (migration 0039): one bought plan for one domain. Every tenant read goes
 * through the actor's organization: `serviceFor` answers another organization's service (or
 * an id that is not a uuid) as 404, the same as one that does not exist.
 */

export type ServiceRow = Selectable<HostingServicesTable>;

export const NO_SUCH_SERVICE = 'No such hosting service.';

export const SERVICE_STATUSES: readonly HostingServiceStatus[] = [
  'provisioning',
  'active',
  'suspended',
  'cancelled',
  'failed',
];

/** The organization's service `id` for an actor holding `permission` (hosting_view or hosting_manage); 404 otherwise. */
export async function serviceFor(
  db: DbOrTx,
  actor: Actor,
  id: string,
  permission: Extract<Permission, 'hosting_view' | 'hosting_manage'>,
): Promise<ServiceRow> {
  const orgId = authorize(actor, permission);
  if (typeof id !== 'string' || !isUuid(id)) throw new NotFoundError(NO_SUCH_SERVICE);
  const row = await db
    .selectFrom('hosting_services')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(NO_SUCH_SERVICE);
  return row;
}

/**
 * The Enhance ids a service's site calls need, once it has a website: a service still
 * provisioning, failed or cancelled has none to work on (409 from the caller's point of view).
 */
export function siteOf(row: ServiceRow): { orgId: string; websiteId: string } | null {
  return row.enhance_org_id && row.enhance_website_id && (row.status === 'active' || row.status === 'suspended')
    ? { orgId: row.enhance_org_id, websiteId: row.enhance_website_id }
    : null;
}
