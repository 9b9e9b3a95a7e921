import type { Db } from '../../db/index.ts';
import type { DataCache } from '../../lib/data-cache.ts';
import { can, type Actor } from '../access/actor.ts';
import { userOrganizations } from '../accounts/me.ts';
import { unreadCount } from './inbox.ts';

/**
 * What the portal's header shows on every page (issue 14 items 7 and 8): the bell's unread
 * count, and the active organization's balance for those who may see billing. With `cache`,
 * both come from the data cache (forgotten when the person's notifications, memberships or
 * the organization's wallet change), so a page view usually costs no query for them.
 */
export interface HeaderStatus {
  unread: number;
  balance: { amount: bigint; currency: string } | null;
}

export async function headerStatus(
  db: Db,
  userId: string,
  actor: Actor | null,
  opts: { cache?: DataCache } = {},
): Promise<HeaderStatus> {
  const [unread, balance] = await Promise.all([unreadCount(db, userId, opts), activeBalance(db, actor, opts)]);
  return { unread, balance };
}

/** The balance of the organization the actor acts in, or null when they may not see billing there. */
export async function activeBalance(
  db: Db,
  actor: Actor | null,
  opts: { cache?: DataCache } = {},
): Promise<HeaderStatus['balance']> {
  if (!actor?.organizationId || !can(actor, 'billing_view')) return null;
  const org = (await userOrganizations(db, actor.userId, opts)).find((o) => o.id === actor.organizationId);
  return org ? { amount: org.balance, currency: org.currency } : null;
}
