import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { likePattern } from '../../db/like.ts';
import { offsetOf, pageCount, pageNumber } from '../../db/paging.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';

/** Staff reads of organizations: the searchable list and one organization with members and wallet. */
export const ORGANIZATIONS_PER_PAGE = 50;

export const organizationListInput = z.object({
  q: z.string().trim().max(200).catch(''),
  page: pageNumber,
});

export async function listOrganizations(db: DbOrTx, actor: Actor, raw: unknown) {
  requirePlatformAdmin(actor);
  const filters = organizationListInput.parse(raw ?? {});
  const { limit, offset } = offsetOf(filters.page, ORGANIZATIONS_PER_PAGE);
  let q = db.selectFrom('organizations as o');
  if (filters.q) q = q.where('o.name', 'ilike', likePattern(filters.q));
  const [rows, count] = await Promise.all([
    q
      .leftJoin('wallets as w', 'w.organization_id', 'o.id')
      .select((eb) => [
        'o.id',
        'o.name',
        'o.personal',
        'o.created_at',
        'w.balance',
        'w.currency',
        eb
          .selectFrom('organization_members as m')
          .select(eb.fn.countAll<string>().as('n'))
          .whereRef('m.organization_id', '=', 'o.id')
          .as('members'),
      ])
      .orderBy('o.created_at', 'desc')
      .orderBy('o.id')
      .limit(limit)
      .offset(offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return {
    organizations: rows.map((r) => ({ ...r, members: Number(r.members ?? 0) })),
    filters,
    total,
    pages: pageCount(total, ORGANIZATIONS_PER_PAGE),
  };
}

export async function organizationDetail(db: DbOrTx, actor: Actor, organizationId: string) {
  requirePlatformAdmin(actor);
  const organization = isUuid(organizationId)
    ? await db
        .selectFrom('organizations as o')
        .leftJoin('wallets as w', 'w.organization_id', 'o.id')
        .leftJoin('users as c', 'c.id', 'o.created_by')
        .select([
          'o.id',
          'o.name',
          'o.personal',
          'o.website',
          'o.address',
          'o.tax_id',
          'o.created_at',
          'w.balance',
          'w.currency',
          'c.email as created_by_email',
        ])
        .where('o.id', '=', organizationId)
        .executeTakeFirst()
    : undefined;
  if (!organization) throw new NotFoundError('No such organization.');
  const members = await db
    .selectFrom('organization_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select(['u.id', 'u.name', 'u.email', 'u.status', 'r.name as role', 'm.created_at as joined_at'])
    .where('m.organization_id', '=', organization.id)
    .orderBy('m.created_at')
    .execute();
  return { organization, members };
}
