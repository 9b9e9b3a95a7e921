import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import { membershipOf, type Actor } from '../access/actor.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { authorize, orgOf, refuseApiKey } from '../access/organization.ts';
import { createOrganization } from './create.ts';
import { fetchSize, uuidCursor, type PageRequest } from '../../db/paging.ts';

export const organizationName = z
  .string({ error: 'Enter a name.' })
  .trim()
  .min(1, 'Enter a name.')
  .max(100, 'Use at most 100 characters.');

/** Optional free text: blank means "none" (stored as null). */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `Use at most ${max} characters.`)
    .nullable()
    .optional()
    .transform((v) => (v === '' ? null : v));

const website = optionalText(200).refine(
  (v) => v == null || /^https?:\/\/[^\s/$.?#][^\s]*$/i.test(v),
  'Enter a full web address starting with https://.',
);

export const createOrganizationInput = z.object({ name: organizationName });

/** Organization settings. Only these keys are read: anything else in a body (owner_id, personal…) is dropped. */
export const organizationSettingsInput = z.object({
  name: organizationName,
  website,
  address: optionalText(500),
  tax_id: optionalText(50),
});

/**
 * The signed-in user creates an organization: they become its owner (predefined roles and a
 * wallet come with it). `activate`: it becomes their active organization too.
 */
export async function createOwnOrganization(
  deps: Deps,
  actor: Actor,
  { values, activate = false }: { values: unknown; activate?: boolean },
) {
  refuseApiKey(actor);
  const input = parseInput(createOrganizationInput, values);
  return inTransaction(deps.db, async (trx) => {
    const org = await createOrganization(trx, {
      name: input.name,
      ownerId: actor.userId,
      personal: false,
      currency: deps.config.BILLING_CURRENCY,
    });
    if (activate)
      await trx.updateTable('users').set({ active_organization_id: org.id }).where('id', '=', actor.userId).execute();
    await recordActivity(
      trx,
      activityBy(actor, 'organization.created', {
        organizationId: org.id,
        target: { type: 'organization', id: org.id },
        details: { name: org.name },
      }),
    );
    return org;
  });
}

/** Edits the actor's organization settings (needs settings_manage). `partial`: absent keys stay as they are. */
export async function updateOrganizationSettings(
  deps: Deps,
  actor: Actor,
  { values, partial = false }: { values: unknown; partial?: boolean },
) {
  const orgId = authorize(actor, 'settings_manage');
  const input = parseInput(partial ? organizationSettingsInput.partial() : organizationSettingsInput, values);
  const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<{
    name: string;
    website: string | null;
    address: string | null;
    tax_id: string | null;
  }>;
  if (!Object.keys(changes).length) return getOrganization(deps.db, actor);
  await inTransaction(deps.db, async (trx) => {
    await trx
      .updateTable('organizations')
      .set({ ...changes, updated_at: deps.clock.now() })
      .where('id', '=', orgId)
      .execute();
    await recordActivity(
      trx,
      activityBy(actor, 'organization.updated', {
        target: { type: 'organization', id: orgId },
        details: { fields: Object.keys(changes).join(',') },
      }),
    );
  });
  return getOrganization(deps.db, actor);
}

/** Remembers `organizationId` as the user's active organization; they must be a member (else 404). */
export async function switchActiveOrganization(deps: Deps, actor: Actor, organizationId: string) {
  if (!isUuid(organizationId) || !(await membershipOf(deps.db, actor.userId, organizationId)))
    throw new NotFoundError('No such organization.');
  await deps.db
    .updateTable('users')
    .set({ active_organization_id: organizationId })
    .where('id', '=', actor.userId)
    .execute();
}

const columns = [
  'o.id',
  'o.name',
  'o.personal',
  'o.created_by',
  'o.website',
  'o.address',
  'o.tax_id',
  'o.created_at',
  'o.updated_at',
  'w.balance',
  'w.currency',
] as const;

/** The organizations the user belongs to, oldest first, with their role there. An API key sees only its own organization. */
export async function listMyOrganizations(db: DbOrTx, actor: Actor, page?: PageRequest) {
  const cursor = uuidCursor(page);
  const size = fetchSize(page);
  let q = db
    .selectFrom('organization_members as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .innerJoin('wallets as w', 'w.organization_id', 'o.id')
    .select([...columns, 'r.name as role', 'r.permissions'])
    .where('m.user_id', '=', actor.userId)
    .orderBy('o.created_at')
    .orderBy('o.id');
  if (actor.apiKeyId) q = q.where('o.id', '=', actor.organizationId);
  if (cursor)
    q = q.where(sql<boolean>`(o.created_at, o.id) > (select created_at, id from organizations where id = ${cursor})`);
  if (size) q = q.limit(size);
  const rows = await q.execute();
  // A key holds at most its own permissions, whatever the role grants.
  return actor.apiKeyId
    ? rows.map((r) => ({ ...r, permissions: r.permissions.filter((p) => actor.permissions.has(p as never)) }))
    : rows;
}

/** The actor's organization with its settings and wallet; the role and permissions are the actor's. */
export async function getOrganization(db: DbOrTx, actor: Actor) {
  const orgId = orgOf(actor);
  const row = await db
    .selectFrom('organizations as o')
    .innerJoin('wallets as w', 'w.organization_id', 'o.id')
    .select([...columns])
    .where('o.id', '=', orgId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('No such organization.');
  return { ...row, role: actor.roleName ?? '', permissions: [...actor.permissions] };
}
