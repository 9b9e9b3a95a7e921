import { AppError } from '../../lib/errors.ts';
import { EnhanceError, type EnhanceClient, type EnhanceMember } from '../../providers/enhance/index.ts';
import type { Actor } from '../access/actor.ts';
import { auditSite, panel, panelError, siteContext, type SiteDeps } from './site.ts';

/**
 * Signing in to the hosting control panel (issue 17 item 5): a single-use login link minted by
 * the panel for the customer organization's member (hosting_customers.member_id; found again
 * when missing, or once when the panel no longer knows the stored one), handed straight to the
 * caller. The link is never stored, logged, audited or put in a URL of ours: the pages answer
 * 303 to it, the API returns it with Cache-Control: no-store. hosting_manage: the panel gives
 * full control of the site.
 */

const NO_MEMBER = 'The control panel account for this service could not be found; contact support.';

/** Owner first, then SuperAdmin, then any active member. */
function pickMember(members: EnhanceMember[]): EnhanceMember | null {
  const active = members.filter((m) => m.isActive);
  return (
    active.find((m) => m.roles.includes('Owner')) ??
    active.find((m) => m.roles.includes('SuperAdmin')) ??
    active[0] ??
    null
  );
}

async function refreshMember(
  deps: SiteDeps,
  client: EnhanceClient,
  key: { organizationId: string; masterOrgId: string },
  orgId: string,
): Promise<string> {
  const member = pickMember(await panel(deps, () => client.listMembers(orgId)));
  if (!member) throw new AppError('hosting_no_member', 409, NO_MEMBER);
  await deps.db
    .updateTable('hosting_customers')
    .set({ member_id: member.id, updated_at: deps.clock.now() })
    .where('organization_id', '=', key.organizationId)
    .where('master_org_id', '=', key.masterOrgId)
    .execute();
  return member.id;
}

/** A fresh single-use control panel login URL for the service's customer account. Never keep it. */
export async function panelLoginUrl(deps: SiteDeps, actor: Actor, serviceId: string): Promise<string> {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const key = { organizationId: ctx.row.organization_id, masterOrgId: ctx.row.master_org_id };
  const customer = await deps.db
    .selectFrom('hosting_customers')
    .select(['enhance_org_id', 'member_id'])
    .where('organization_id', '=', key.organizationId)
    .where('master_org_id', '=', key.masterOrgId)
    .executeTakeFirst();
  const orgId = customer?.enhance_org_id ?? ctx.orgId;
  let memberId = customer?.member_id ?? null;
  let refreshed = false;
  if (!memberId) {
    if (!customer) throw new AppError('hosting_no_member', 409, NO_MEMBER);
    memberId = await refreshMember(deps, ctx.client, key, orgId);
    refreshed = true;
  }
  let url: string;
  try {
    url = await ctx.client.memberSsoUrl(orgId, memberId);
  } catch (err) {
    // The panel no longer knows the stored member: find it again, once.
    if (!(err instanceof EnhanceError && err.status === 404) || refreshed) throw panelError(deps, err);
    memberId = await refreshMember(deps, ctx.client, key, orgId);
    url = await panel(deps, () => ctx.client.memberSsoUrl(orgId, memberId!));
  }
  await auditSite(deps.db, actor, ctx.row, 'hosting.panel_opened', {}, deps.clock.now());
  return url;
}
