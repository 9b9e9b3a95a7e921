import { requirePlatformAdmin } from '../access/guard.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { selectTickets } from './tickets.ts';

/**
 * What staff see beside a ticket's thread: the customer's organization with its wallet
 * balance, its live servers and its recent tickets. Platform admins only.
 */
export async function customerContext(deps: Pick<Deps, 'db'>, actor: Actor, organizationId: string) {
  requirePlatformAdmin(actor);
  const [organization, servers, recent] = await Promise.all([
    deps.db
      .selectFrom('organizations as o')
      .leftJoin('wallets as w', 'w.organization_id', 'o.id')
      .select(['o.id', 'o.name', 'w.balance', 'w.currency'])
      .where('o.id', '=', organizationId)
      .executeTakeFirst(),
    deps.db
      .selectFrom('servers')
      .select(['id', 'label', 'status', 'ipv4'])
      .where('organization_id', '=', organizationId)
      .where('deleted_at', 'is', null)
      .orderBy('label')
      .limit(20)
      .execute(),
    selectTickets(deps.db)
      .where('t.organization_id', '=', organizationId)
      .orderBy('t.updated_at', 'desc')
      .limit(6)
      .execute(),
  ]);
  return { organization: organization ?? null, servers, recent };
}
