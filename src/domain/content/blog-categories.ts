import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { fieldErrors } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { isSlug, slugify } from './blog-input.ts';

/**
 * The blog's categories (/blog/category/<slug>): a name and an address slug (made from the
 * name when left empty). Deleting one leaves its posts without a category. Staff-only writes,
 * audited as `admin.content_saved` / `admin.content_deleted` with `kind: 'blog_category'`.
 */

export interface BlogCategory {
  id: string;
  name: string;
  slug: string;
  /** All of its posts, drafts included (staff's list). */
  posts: number;
}

const MAX_NAME = 80;

const schema = z.object({
  name: z
    .string()
    .optional()
    .transform((s) => (s ?? '').replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(1, 'Give the category a name.').max(MAX_NAME, `Keep the name to ${MAX_NAME} characters.`)),
  slug: z
    .string()
    .optional()
    .transform((s) => (s ?? '').trim().toLowerCase()),
});

export type CategoryInput = z.input<typeof schema>;

/** Every category by name, with its number of posts. Public pages list them too (no counts needed). */
export async function listCategories(db: DbOrTx): Promise<BlogCategory[]> {
  const rows = await db
    .selectFrom('blog_categories as c')
    .leftJoin('blog_posts as p', 'p.category_id', 'c.id')
    .select(['c.id', 'c.name', 'c.slug', (eb) => eb.fn.count<string>('p.id').as('posts')])
    .groupBy(['c.id', 'c.name', 'c.slug'])
    .orderBy('c.name')
    .execute();
  return rows.map((r) => ({ ...r, posts: Number(r.posts) }));
}

/** Every category for staff. */
export async function listCategoriesForStaff(deps: Pick<Deps, 'db'>, actor: Actor): Promise<BlogCategory[]> {
  requirePlatformAdmin(actor);
  return listCategories(deps.db);
}

async function parseCategory(db: DbOrTx, raw: CategoryInput, id: string | null) {
  const result = schema.safeParse(raw);
  const errors = result.success ? {} : fieldErrors(result.error);
  const slug =
    (raw.slug ?? '').trim().toLowerCase() ||
    slugify(raw.name ?? '')
      .slice(0, 80)
      .replace(/-+$/, '');
  if (!slug) errors.slug ??= 'Give the category an address: lower-case letters, digits and hyphens.';
  else if (!isSlug(slug, 80))
    errors.slug ??= 'Use lower-case letters, digits and single hyphens in the address (e.g. product-news).';
  else {
    let q = db.selectFrom('blog_categories').select('id').where('slug', '=', slug);
    if (id) q = q.where('id', '<>', id);
    if (await q.executeTakeFirst()) errors.slug = `Another category already uses the address /blog/category/${slug}.`;
  }
  if (!result.success || Object.keys(errors).length) throw new ValidationError(errors);
  return { name: result.data.name, slug };
}

async function find(db: DbOrTx, id: string) {
  const row = isUuid(id)
    ? await db.selectFrom('blog_categories').select(['id', 'name', 'slug']).where('id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such blog category.');
  return row;
}

/** Adds a category, or changes one when `id` is given (422 naming the fields). */
export async function saveCategory(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string | null,
  raw: CategoryInput,
): Promise<{ id: string; name: string; slug: string }> {
  requirePlatformAdmin(actor);
  const current = id ? await find(deps.db, id) : null;
  const c = await parseCategory(deps.db, raw, current?.id ?? null);
  const now = deps.clock.now();
  return deps.db
    .transaction()
    .execute(async (trx) => {
      const row = current
        ? await trx
            .updateTable('blog_categories')
            .set({ ...c, updated_at: now })
            .where('id', '=', current.id)
            .returning(['id', 'name', 'slug'])
            .executeTakeFirstOrThrow()
        : await trx
            .insertInto('blog_categories')
            .values({ ...c, created_at: now, updated_at: now })
            .returning(['id', 'name', 'slug'])
            .executeTakeFirstOrThrow();
      await recordActivity(trx, {
        action: 'admin.content_saved',
        actorUserId: actor.userId,
        target: { type: 'blog_category', id: row.id },
        origin: actor.origin,
        details: { kind: 'blog_category', created: !current, ...c },
        occurredAt: now,
      });
      return row;
    })
    .catch((err: unknown) => {
      // Another save took the address between the check and the write.
      if ((err as { code?: string } | null)?.code === '23505')
        throw new ValidationError({ slug: `Another category already uses the address /blog/category/${c.slug}.` });
      throw err;
    });
}

/** Deletes a category; its posts stay, without one. */
export async function deleteCategory(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, id: string): Promise<string> {
  requirePlatformAdmin(actor);
  const current = await find(deps.db, id);
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('blog_categories').where('id', '=', current.id).execute();
    await recordActivity(trx, {
      action: 'admin.content_deleted',
      actorUserId: actor.userId,
      target: { type: 'blog_category', id: current.id },
      origin: actor.origin,
      details: { kind: 'blog_category', name: current.name, slug: current.slug },
      occurredAt: deps.clock.now(),
    });
  });
  return current.name;
}
