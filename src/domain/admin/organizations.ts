import { z } from 'zod';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { requirePlatformAdmin } from './guard.ts';
import { likePattern } from './users.ts';

/** Staff reads of organizations: the searchable list and one organization with members and wallet. */
export const ORGANIZATIONS_PER_PAGE = 50;

export const organizationListInput = z.object({
  q: z.string().trim().max(200).catch(''),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export async function listOrganizations(deps: Pick<Deps, 'db'>, actor: Actor, raw: unknown) {
  requirePlatformAdmin(actor);
  const filters = organizationListInput.parse(raw ?? {});
  let q = deps.db.selectFrom('organizations as o');
  if (filters.q) q = q.where('o.name', 'ilike', likePattern(filters.q));
  const [rows, count] = await Promise.all([
    q
      .leftJoin('wallets as w', 'w.organization_id', 'o.id')
      .select((eb) => [
        'o.id', 'o.name', 'o.personal', 'o.created_at', 'w.balance', 'w.currency',
        eb.selectFrom('organization_members as m').select(eb.fn.countAll<string>().as('n')).whereRef('m.organization_id', '=', 'o.id').as('members'),
      ])
      .orderBy('o.created_at', 'desc')
      .orderBy('o.id')
      .limit(ORGANIZATIONS_PER_PAGE)
      .offset((filters.page - 1) * ORGANIZATIONS_PER_PAGE)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return { organizations: rows.map((r) => ({ ...r, members: Number(r.members ?? 0) })), filters, total, pages: Math.max(1, Math.ceil(total / ORGANIZATIONS_PER_PAGE)) };
}

export async function organizationDetail(deps: Pick<Deps, 'db'>, actor: Actor, organizationId: string) {
  requirePlatformAdmin(actor);
  const organization = isUuid(organizationId)
    ? await deps.db
        .selectFrom('organizations as o')
        .leftJoin('wallets as w', 'w.organization_id', 'o.id')
        .leftJoin('users as c', 'c.id', 'o.created_by')
        .select(['o.id', 'o.name', 'o.personal', 'o.website', 'o.address', 'o.tax_id', 'o.created_at', 'w.balance', 'w.currency', 'c.email as created_by_email'])
        .where('o.id', '=', organizationId)
        .executeTakeFirst()
    : undefined;
  if (!organization) throw new NotFoundError('No such organization.');
  const members = await deps.db
    .selectFrom('organization_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select(['u.id', 'u.name', 'u.email', 'u.status', 'r.name as role', 'm.created_at as joined_at'])
    .where('m.organization_id', '=', organization.id)
    .orderBy('m.created_at')
    .execute();
  return { organization, members };
}
