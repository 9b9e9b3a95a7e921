import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { fields, html, pdf, png, postForm, svg, writePost } from './helpers.ts';

let ctx: TestContext;
let admin: TestBrowser;
let customer: TestBrowser;
let ada: Awaited<ReturnType<typeof createPerson>>;

beforeAll(async () => {
  ctx = await createTestContext();
  ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  const bob = await createPerson(ctx, 'Bob Customer', { verified: true, email: uniqueEmail('Bob Customer') });
  admin = await signedIn(ctx, ada.email);
  customer = await signedIn(ctx, bob.email);
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('blog_posts').execute();
  await ctx.db.deleteFrom('blog_categories').execute();
});

const files = () => ctx.db.selectFrom('stored_files').select('id');
const fileExists = async (id: string | null) =>
  id !== null && (await files().where('id', '=', id).executeTakeFirst()) !== undefined;

describe('writing blog posts (staff)', () => {
  it('Ada writes a post with a cover, category and tags; it is listed as published, its author is Ada, and the log says so', async () => {
    await admin.post('/admin/content/blog/categories', { name: 'Product news', slug: '' });
    const category = await ctx.db.selectFrom('blog_categories').selectAll().executeTakeFirstOrThrow();
    expect(category.slug).toBe('product-news');

    const post = await writePost(
      ctx,
      admin,
      { categoryId: category.id, tags: 'Networking, new regions, networking', coverAlt: 'A rack of servers' },
      { name: 'cover.png', bytes: png() },
    );
    expect(post).toMatchObject({ slug: 'new-regions-in-frankfurt-and-tokyo', status: 'published', author_id: ada.id });
    expect(post.published_at).toEqual(ctx.clock.now());
    const tags = await ctx.db
      .selectFrom('blog_post_tags')
      .select('tag')
      .where('post_id', '=', post.id)
      .orderBy('tag')
      .execute();
    expect(tags.map((t) => t.tag)).toEqual(['networking', 'new-regions']);
    const file = await ctx.db
      .selectFrom('stored_files')
      .selectAll()
      .where('id', '=', post.cover_file_id!)
      .executeTakeFirstOrThrow();
    expect(file.content_type).toBe('image/png');

    await admin.get('/admin/content/blog');
    expect(admin.lastHtml).toContain('New regions in Frankfurt and Tokyo');
    expect(admin.lastHtml).toContain('Published');
    const log = await ctx.db
      .selectFrom('activity_log')
      .select(['action', 'details'])
      .where('target_id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(log.action).toBe('admin.content_saved');
    expect(log.details).toMatchObject({ kind: 'blog_post', created: true, status: 'published' });
  });

  it('a draft and a scheduled post are listed under their own state', async () => {
    await writePost(ctx, admin, { title: 'Draft one', status: 'draft' });
    const later = new Date(ctx.clock.now().getTime() + 86_400_000).toISOString().slice(0, 16);
    await writePost(ctx, admin, { title: 'Scheduled one', publishedAt: later });
    await admin.get('/admin/content/blog?state=draft');
    expect(admin.lastHtml).toContain('Draft one');
    expect(admin.lastHtml).not.toContain('Scheduled one');
    await admin.get('/admin/content/blog?state=scheduled');
    expect(admin.lastHtml).toContain('Scheduled one');
    expect(admin.lastHtml).not.toContain('Draft one');
    await admin.get('/admin/content/blog?state=published');
    expect(admin.lastHtml).not.toContain('Scheduled one');
  });

  it('bad input answers 422 with the form, every problem named and what was typed kept', async () => {
    await writePost(ctx, admin, { title: 'Taken', slug: 'taken' });
    await admin.get('/admin/content/blog/new');
    const res = await postForm(
      ctx,
      admin,
      '/admin/content/blog',
      fields({
        title: '',
        slug: 'taken',
        summary: 'Kept summary <b>',
        status: 'maybe',
        publishedAt: 'tomorrow',
        categoryId: crypto.randomUUID(),
        tags: 'x'.repeat(41),
      }),
    );
    expect(res.status).toBe(422);
    const page = admin.lastHtml;
    expect(page).toContain('Give the post a title.');
    expect(page).toContain('Choose draft or published.');
    expect(page).toContain('The publish date is not a date and time');
    expect(page).toContain('Choose a category from the list.');
    expect(page).toContain('Keep each tag to 40 characters');
    expect(page).toContain('Kept summary &lt;b&gt;');
    const again = await postForm(ctx, admin, '/admin/content/blog', fields({ title: 'Another', slug: 'taken' }));
    expect(again.status).toBe(422);
    expect(admin.lastHtml).toContain('Another post already uses the address /blog/taken.');
    const bad = await postForm(
      ctx,
      admin,
      '/admin/content/blog',
      fields({ title: 'Bad address', slug: 'Not A Slug!' }),
    );
    expect(bad.status).toBe(422);
    expect(admin.lastHtml).toContain('Use lower-case letters, digits and single hyphens');
    expect(await ctx.db.selectFrom('blog_posts').select('id').execute()).toHaveLength(1);
  });

  it('two saves racing for one address: one is saved, the other is told the address is taken (422, not an error page)', async () => {
    await admin.get('/admin/content/blog/new');
    const send = () => postForm(ctx, admin, '/admin/content/blog', fields({ title: 'Racing', slug: 'racing' }));
    const statuses = (await Promise.all([send(), send(), send()])).map((r) => r.status).sort();
    expect(statuses[0]).toBe(303);
    expect(statuses.slice(1)).toEqual([422, 422]);
    expect(await ctx.db.selectFrom('blog_posts').select('id').where('slug', '=', 'racing').execute()).toHaveLength(1);
  });

  it('refuses a cover that is not a raster image (HTML named cover.png, SVG, PDF) and keeps no file', async () => {
    const before = (await files().execute()).length;
    for (const [cover, says] of [
      [{ name: 'cover.png', bytes: html() }, 'cover.png is not a kind of file we accept'],
      [{ name: 'cover.svg', bytes: svg() }, 'cover.svg is not a kind of file we accept'],
      [{ name: 'cover.pdf', bytes: pdf() }, 'cover.pdf is not an image'],
      [{ name: 'cover.jpg', bytes: png() }, 'but its content is a PNG image'],
    ] as const) {
      await admin.get('/admin/content/blog/new');
      const res = await postForm(ctx, admin, '/admin/content/blog', fields({ coverAlt: 'x' }), cover);
      expect(res.status).toBe(422);
      expect(admin.lastHtml).toContain(says);
      expect(admin.lastHtml).toContain('The cover must be a PNG, JPEG, GIF or WebP image.');
    }
    expect(await ctx.db.selectFrom('blog_posts').select('id').execute()).toEqual([]);
    expect((await files().execute()).length).toBe(before);
  });

  it('asks for a description of the cover image', async () => {
    await admin.get('/admin/content/blog/new');
    const res = await postForm(ctx, admin, '/admin/content/blog', fields(), { name: 'cover.png', bytes: png() });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Describe the cover image for people who cannot see it.');
  });

  it('edits a post: replacing the cover deletes the old file, removing it deletes that one', async () => {
    const post = await writePost(ctx, admin, { coverAlt: 'First' }, { name: 'a.png', bytes: png() });
    const first = post.cover_file_id;
    await admin.get(`/admin/content/blog/${post.id}`);
    expect(admin.lastHtml).toContain(`/admin/content/blog/covers/${first}`);
    const cover = await admin.get(`/admin/content/blog/covers/${first}`);
    expect(cover.status).toBe(200);
    expect(cover.headers.get('content-type')).toBe('image/png');

    const res = await postForm(
      ctx,
      admin,
      `/admin/content/blog/${post.id}`,
      fields({ title: 'Renamed', coverAlt: 'Second' }),
      {
        name: 'b.png',
        bytes: png(),
      },
    );
    expect(res.status).toBe(303);
    const replaced = await ctx.db
      .selectFrom('blog_posts')
      .selectAll()
      .where('id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(replaced.title).toBe('Renamed');
    expect(replaced.cover_file_id).not.toBe(first);
    expect(await fileExists(first)).toBe(false);
    expect(await fileExists(replaced.cover_file_id)).toBe(true);

    await admin.get(`/admin/content/blog/${post.id}`);
    const kept = await postForm(
      ctx,
      admin,
      `/admin/content/blog/${post.id}`,
      fields({ title: 'Renamed', coverAlt: 'Second' }),
    );
    expect(kept.status).toBe(303);
    const same = await ctx.db.selectFrom('blog_posts').selectAll().where('id', '=', post.id).executeTakeFirstOrThrow();
    expect(same.cover_file_id).toBe(replaced.cover_file_id);

    await postForm(ctx, admin, `/admin/content/blog/${post.id}`, fields({ title: 'Renamed', removeCover: 'on' }));
    const removed = await ctx.db
      .selectFrom('blog_posts')
      .selectAll()
      .where('id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(removed.cover_file_id).toBeNull();
    expect(await fileExists(replaced.cover_file_id)).toBe(false);
  });

  it('publishes, unpublishes and deletes a post (its cover file goes with it)', async () => {
    const post = await writePost(ctx, admin, { status: 'draft', coverAlt: 'c' }, { name: 'c.png', bytes: png() });
    expect(post.published_at).toBeNull();
    await admin.get(`/admin/content/blog/${post.id}`);
    expect((await admin.post(`/admin/content/blog/${post.id}/publication`)).status).toBe(303);
    const published = await ctx.db
      .selectFrom('blog_posts')
      .selectAll()
      .where('id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(published).toMatchObject({ status: 'published', published_at: ctx.clock.now() });
    expect((await admin.post(`/admin/content/blog/${post.id}/publication/delete`)).status).toBe(303);
    const draft = await ctx.db.selectFrom('blog_posts').selectAll().where('id', '=', post.id).executeTakeFirstOrThrow();
    expect(draft.status).toBe('draft');
    expect((await admin.post(`/admin/content/blog/${post.id}/delete`)).status).toBe(303);
    expect(
      await ctx.db.selectFrom('blog_posts').select('id').where('id', '=', post.id).executeTakeFirst(),
    ).toBeUndefined();
    expect(await fileExists(post.cover_file_id)).toBe(false);
    const deleted = await ctx.db
      .selectFrom('activity_log')
      .select('action')
      .where('target_id', '=', post.id)
      .where('action', '=', 'admin.content_deleted')
      .execute();
    expect(deleted).toHaveLength(1);
  });

  it('manages categories: a taken address is 422, a rename saves, a delete leaves its posts without one', async () => {
    await admin.post('/admin/content/blog/categories', { name: 'Guides', slug: '' });
    const res = await admin.post('/admin/content/blog/categories', { name: 'Other guides', slug: 'guides' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Another category already uses the address /blog/category/guides.');
    expect(admin.lastHtml).toContain('value="Other guides"');
    const empty = await admin.post('/admin/content/blog/categories', { name: ' ', slug: '' });
    expect(empty.status).toBe(422);
    expect(admin.lastHtml).toContain('Give the category a name.');

    const cat = await ctx.db.selectFrom('blog_categories').selectAll().executeTakeFirstOrThrow();
    const post = await writePost(ctx, admin, { categoryId: cat.id });
    expect(
      (await admin.post(`/admin/content/blog/categories/${cat.id}`, { name: 'How-to guides', slug: 'how-to' })).status,
    ).toBe(303);
    expect(await ctx.db.selectFrom('blog_categories').select(['name', 'slug']).executeTakeFirst()).toEqual({
      name: 'How-to guides',
      slug: 'how-to',
    });
    expect((await admin.post(`/admin/content/blog/categories/${cat.id}/delete`)).status).toBe(303);
    const after = await ctx.db
      .selectFrom('blog_posts')
      .select('category_id')
      .where('id', '=', post.id)
      .executeTakeFirstOrThrow();
    expect(after.category_id).toBeNull();
  });

  it('a customer cannot reach the staff screens (404) nor write a post', async () => {
    expect((await customer.get('/admin/content/blog')).status).toBe(404);
    const res = await postForm(ctx, customer, '/admin/content/blog', fields());
    expect(res.status).toBe(404);
    expect(await ctx.db.selectFrom('blog_posts').select('id').execute()).toEqual([]);
  });

  it('the admin sidebar links to the blog under Content', async () => {
    await admin.get('/admin');
    expect(admin.lastHtml).toMatch(/Content[\s\S]*href="\/admin\/content\/blog"/);
  });
});
