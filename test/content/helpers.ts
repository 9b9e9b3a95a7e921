import { afterAll, beforeAll, beforeEach } from 'vitest';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { adminAndCustomer } from '../helpers/staff.ts';

/** What `contentSuite` makes: the context, Ada Admin and Bob Customer signed in, and a guest. */
export interface ContentWorld {
  ctx: TestContext;
  admin: TestBrowser;
  customer: TestBrowser;
  guest: TestBrowser;
}

/**
 * The content tests' preamble: a test context (closed after the file) with Ada Admin and Bob
 * Customer signed in and a guest browsing from `guestIp`, handed to `ready`; the content
 * emptied before each test (`clearContent`).
 */
export function contentSuite(guestIp: string, ready: (w: ContentWorld) => void): void {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
    const { ada, other: bob } = await adminAndCustomer(ctx);
    const admin = await signedIn(ctx, ada.email);
    const customer = await signedIn(ctx, bob.email);
    ready({ ctx, admin, customer, guest: new TestBrowser(ctx.app, guestIp) });
  });
  afterAll(async () => ctx.close());
  beforeEach(async () => clearContent(ctx));
}

/** Empties the docs and FAQ tables (the seeded FAQ included) and puts back the seeded pages as drafts-or-not as a test needs. */
export async function clearContent(ctx: TestContext): Promise<void> {
  const files = await ctx.db.selectFrom('docs_files').select('file_id').execute();
  await ctx.db.deleteFrom('docs_files').execute();
  if (files.length)
    await ctx.db
      .deleteFrom('stored_files')
      .where(
        'id',
        'in',
        files.map((f) => f.file_id),
      )
      .execute();
  await ctx.db.deleteFrom('docs_articles').execute();
  await ctx.db.deleteFrom('docs_categories').execute();
  await ctx.db.deleteFrom('faq_items').execute();
  await ctx.db.deleteFrom('faq_categories').execute();
  await ctx.db.deleteFrom('site_pages').where('slug', 'not in', ['about', 'terms', 'privacy']).execute();
  await ctx.db.updateTable('site_pages').set({ published: true }).execute();
}

/** A docs category and article made directly (for tests about reading them). */
export async function docsArticle(
  ctx: TestContext,
  a: { category?: string; slug: string; title: string; body?: string; summary?: string; published: boolean },
) {
  const categorySlug = a.category ?? 'guides';
  const category =
    (await ctx.db.selectFrom('docs_categories').select('id').where('slug', '=', categorySlug).executeTakeFirst()) ??
    (await ctx.db
      .insertInto('docs_categories')
      .values({ slug: categorySlug, name: `Category ${categorySlug}` })
      .returning('id')
      .executeTakeFirstOrThrow());
  return ctx.db
    .insertInto('docs_articles')
    .values({
      category_id: category.id,
      slug: a.slug,
      title: a.title,
      summary: a.summary ?? '',
      body: a.body ?? '',
      published: a.published,
    })
    .returning(['id', 'category_id'])
    .executeTakeFirstOrThrow();
}
