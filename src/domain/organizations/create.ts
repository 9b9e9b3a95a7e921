import type { Tx } from '../../db/index.ts';
import { PREDEFINED_ROLES } from '../access/permissions.ts';

/**
 * Creates an organization with its predefined roles, its wallet (balance 0) and `ownerId`
 * as owner. Runs inside the caller's transaction.
 */
export async function createOrganization(
  trx: Tx,
  input: { name: string; ownerId: string; personal: boolean; currency: string },
): Promise<{ id: string; name: string }> {
  const org = await trx
    .insertInto('organizations')
    .values({ name: input.name, personal: input.personal, created_by: input.ownerId })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
  const roles = await trx
    .insertInto('roles')
    .values(
      Object.entries(PREDEFINED_ROLES).map(([name, permissions]) => ({
        organization_id: org.id,
        name,
        permissions: [...permissions],
        predefined: true,
      })),
    )
    .returning(['id', 'name'])
    .execute();
  const owner = roles.find((r) => r.name === 'owner')!;
  await trx
    .insertInto('organization_members')
    .values({ organization_id: org.id, user_id: input.ownerId, role_id: owner.id })
    .execute();
  await trx.insertInto('wallets').values({ organization_id: org.id, currency: input.currency, balance: 0n }).execute();
  return org;
}
