import { randomBytes } from 'node:crypto';
import type { DbOrTx } from '../../db/index.ts';
import { EnhanceError, type EnhanceClient } from '../../providers/enhance/index.ts';

/**
 * An organization's customer organization at the panel (spec §5.1 onboarding), as the purchase
 * saga's customer, login and member steps use it. One `hosting_customers` row per
 * (organization, master org): reused by every later purchase; a stored id the panel no longer
 * knows (hard-deleted, or marked deleted) is replaced by a new customer org. The owner login is
 * the purchaser's e-mail: found if it exists, else created with a random password that is
 * thrown away at once (never stored, logged or e-mailed; the customer signs in to the panel by
 * SSO from our pages, or resets it there).
 */

export interface CustomerRow {
  organization_id: string;
  master_org_id: string;
  enhance_org_id: string;
  login_id: string | null;
  member_id: string | null;
}

const customerRow = (db: DbOrTx, organizationId: string, masterOrgId: string) =>
  db
    .selectFrom('hosting_customers')
    .select(['organization_id', 'master_org_id', 'enhance_org_id', 'login_id', 'member_id'])
    .where('organization_id', '=', organizationId)
    .where('master_org_id', '=', masterOrgId)
    .executeTakeFirst();

/** The organization's customer org id at this panel: the stored one if the panel still has it, else a new one. */
export async function ensureCustomer(
  db: DbOrTx,
  client: EnhanceClient,
  org: { id: string; name: string },
  masterOrgId: string,
  now: Date,
): Promise<{ enhanceOrgId: string; created: boolean; replaced: string | null }> {
  const stored = await customerRow(db, org.id, masterOrgId);
  if (stored && (await client.orgExists(stored.enhance_org_id)))
    return { enhanceOrgId: stored.enhance_org_id, created: false, replaced: null };
  const enhanceOrgId = await client.createCustomer(org.name.slice(0, 100) || 'Customer');
  if (stored) {
    // Stale: the panel lost it. The new org replaces it, with no login or member yet.
    await db
      .updateTable('hosting_customers')
      .set({ enhance_org_id: enhanceOrgId, login_id: null, member_id: null, updated_at: now })
      .where('organization_id', '=', org.id)
      .where('master_org_id', '=', masterOrgId)
      .where('enhance_org_id', '=', stored.enhance_org_id)
      .execute();
  } else {
    await db
      .insertInto('hosting_customers')
      .values({
        organization_id: org.id,
        master_org_id: masterOrgId,
        enhance_org_id: enhanceOrgId,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['organization_id', 'master_org_id']).doNothing())
      .execute();
  }
  // Two purchases at once may both have created one: the stored row wins; the other stays empty at the panel.
  const now_ = await customerRow(db, org.id, masterOrgId);
  return {
    enhanceOrgId: now_!.enhance_org_id,
    created: now_!.enhance_org_id === enhanceOrgId,
    replaced: stored?.enhance_org_id ?? null,
  };
}

/** A password nobody will ever know: the login is reached by SSO (spec §5.1 would e-mail it; we never do). */
const throwaway = () => `${randomBytes(24).toString('base64url')}aA1!`;

/** The purchaser's login at the panel: found by e-mail (case-insensitive), else created; a 409 means it exists elsewhere. */
export async function ensureLogin(
  client: EnhanceClient,
  enhanceOrgId: string,
  person: { email: string; name: string },
): Promise<{ loginId: string; created: boolean }> {
  const found = await client.findLoginByEmail(person.email, enhanceOrgId);
  if (found) return { loginId: found.id, created: false };
  try {
    const loginId = await client.createLogin(enhanceOrgId, {
      email: person.email,
      name: person.name.slice(0, 100) || person.email,
      password: throwaway(),
    });
    return { loginId, created: true };
  } catch (err) {
    if (!(err instanceof EnhanceError) || err.status !== 409) throw err;
    const again = await client.findLoginByEmail(person.email);
    if (!again) throw err;
    return { loginId: again.id, created: false };
  }
}

/** The login's membership of the customer org (added as SuperAdmin), made Owner when the org has none. */
export async function ensureMember(
  db: DbOrTx,
  client: EnhanceClient,
  c: { organizationId: string; masterOrgId: string; enhanceOrgId: string },
  login: { loginId: string; email: string },
  now: Date,
): Promise<{ memberId: string; owner: boolean }> {
  const wanted = login.email.toLowerCase();
  const find = async () =>
    (await client.listMembers(c.enhanceOrgId)).find(
      (m) => m.loginId === login.loginId || m.email.toLowerCase() === wanted,
    );
  let member = await find();
  let memberId = member?.id ?? null;
  if (!memberId) {
    try {
      memberId = await client.addMember(c.enhanceOrgId, { loginId: login.loginId, roles: ['SuperAdmin'] });
    } catch (err) {
      if (!(err instanceof EnhanceError) || err.status !== 409) throw err;
      member = await find();
      if (!member) throw err;
      memberId = member.id;
    }
  }
  const members = await client.listMembers(c.enhanceOrgId);
  let owner = members.some((m) => m.roles.includes('Owner'));
  if (!owner) {
    try {
      await client.setOwner(c.enhanceOrgId, memberId);
      owner = true;
    } catch (err) {
      // Spec §5.1: a refusal to change the owner is not a reason to fail a purchase.
      if (!(err instanceof EnhanceError) || err.status !== 403) throw err;
    }
  }
  await db
    .updateTable('hosting_customers')
    .set({ login_id: login.loginId, member_id: memberId, updated_at: now })
    .where('organization_id', '=', c.organizationId)
    .where('master_org_id', '=', c.masterOrgId)
    .where('enhance_org_id', '=', c.enhanceOrgId)
    .execute();
  return { memberId, owner };
}
