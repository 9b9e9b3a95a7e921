import { describe, expect, it } from 'vitest';
import type { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { countRows } from '../helpers/db.ts';
import { contentSuite } from './helpers.ts';

let ctx: TestContext, admin: TestBrowser, customer: TestBrowser, guest: TestBrowser;
contentSuite('203.0.113.90', (w) => ({ ctx, admin, customer, guest } = w));

const count = (table: 'faq_items' | 'faq_categories' | 'docs_articles' | 'docs_categories' | 'site_pages') =>
  countRows(ctx.db, table);

describe('FAQ screens', () => {
  it('adds a heading and a question, publishes, withdraws, edits and deletes; the public page follows', async () => {
    await admin.get('/admin/content/faq/categories/new');
    let res = await admin.post('/admin/content/faq/categories', { name: 'Billing', position: '1' });
    expect(res.status).toBe(303);
    const cat = await ctx.db
      .selectFrom('faq_categories')
      .select('id')
      .where('name', '=', 'Billing')
      .executeTakeFirstOrThrow();

    await admin.get(`/admin/content/faq/items/new?category=${cat.id}`);
    expect(admin.lastHtml).toContain(`value="${cat.id}" selected`);
    res = await admin.post('/admin/content/faq/items', {
      categoryId: cat.id,
      question: 'Do you take cards?',
      answer: 'Yes, **all** major cards.',
      position: '0',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/content/faq');
    const item = await ctx.db.selectFrom('faq_items').selectAll().executeTakeFirstOrThrow();
    expect(item.published).toBe(false);

    // A draft is not public.
    await guest.get('/faq');
    expect(guest.lastHtml).not.toContain('Do you take cards?');

    res = await admin.post(`/admin/content/faq/items/${item.id}/publish`, { published: 'true' });
    expect(res.status).toBe(303);
    expect((await guest.get('/faq')).status).toBe(200);
    expect(guest.lastHtml).toContain('Do you take cards?');
    expect(guest.lastHtml).toContain('<strong>all</strong>');
    expect(guest.lastHtml).toContain('<title>Frequently asked questions');
    // Signed-in people see it too.
    await customer.get('/faq');
    expect(customer.lastHtml).toContain('Do you take cards?');

    await admin.get(`/admin/content/faq/items/${item.id}`);
    expect(admin.lastHtml).toContain('Yes, **all** major cards.');
    res = await admin.post(`/admin/content/faq/items/${item.id}`, {
      categoryId: cat.id,
      question: 'Which cards do you take?',
      answer: 'Visa and Mastercard.',
      position: '2',
      published: 'on',
    });
    expect(res.status).toBe(303);
    await guest.get('/faq');
    expect(guest.lastHtml).toContain('Which cards do you take?');

    res = await admin.post(`/admin/content/faq/items/${item.id}/publish`, { published: 'false' });
    await guest.get('/faq');
    expect(guest.lastHtml).not.toContain('Which cards do you take?');

    // A heading with questions cannot be deleted: 422 and nothing changed.
    res = await admin.post(`/admin/content/faq/categories/${cat.id}/delete`);
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('still has questions');
    expect(await count('faq_categories')).toBe(1);

    res = await admin.post(`/admin/content/faq/items/${item.id}/delete`);
    expect(res.status).toBe(303);
    res = await admin.post(`/admin/content/faq/categories/${cat.id}/delete`);
    expect(res.status).toBe(303);
    expect(await count('faq_items')).toBe(0);
    expect(await count('faq_categories')).toBe(0);

    const log = await ctx.db
      .selectFrom('activity_log')
      .select('action')
      .where('action', 'in', ['admin.content_saved', 'admin.content_deleted'])
      .execute();
    expect(log.length).toBeGreaterThanOrEqual(6);
  });

  it('refuses bad input with 422, the messages and what was typed, changing nothing', async () => {
    await admin.get('/admin/content/faq/items/new');
    const res = await admin.post('/admin/content/faq/items', {
      categoryId: '',
      question: '<b>Typed question</b>',
      answer: '',
      position: 'first',
    });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Choose a heading.');
    expect(admin.lastHtml).toContain('Write the answer.');
    expect(admin.lastHtml).toContain('The position is a whole number');
    expect(admin.lastHtml).toContain('value="&lt;b&gt;Typed question&lt;/b&gt;"');
    expect(await count('faq_items')).toBe(0);

    const empty = await admin.post('/admin/content/faq/categories', { name: '  ' });
    expect(empty.status).toBe(422);
    expect(admin.lastHtml).toContain('The name is required.');
    expect(await count('faq_categories')).toBe(0);
  });
});

describe('pages screens', () => {
  it('edits the seeded About page, unpublishes it (404) and publishes it again', async () => {
    const about = await ctx.db
      .selectFrom('site_pages')
      .selectAll()
      .where('slug', '=', 'about')
      .executeTakeFirstOrThrow();
    expect(about.body).toContain('template');
    expect((await guest.get('/about')).status).toBe(200);

    await admin.get('/admin/content/pages');
    expect(admin.lastHtml).toContain('/about');
    await admin.get(`/admin/content/pages/${about.id}`);
    let res = await admin.post(`/admin/content/pages/${about.id}`, {
      title: 'About Example Hosting',
      slug: 'about',
      description: 'A small host in Lisbon.',
      body: '## Our story\n\nWe started in 2020.',
      published: 'on',
    });
    expect(res.status).toBe(303);
    await guest.get('/about');
    expect(guest.lastHtml).toContain('<title>About Example Hosting');
    // A page's own Markdown sits under its h1 title: `##` is an h3 (one level down, not two).
    expect(guest.lastHtml).toContain('<h3>Our story</h3>');
    expect(guest.lastHtml).toContain('A small host in Lisbon.');

    res = await admin.post(`/admin/content/pages/${about.id}/publish`, { published: 'false' });
    expect(res.status).toBe(303);
    expect((await guest.get('/about')).status).toBe(404);
    expect((await customer.get('/about')).status).toBe(404);
    await admin.post(`/admin/content/pages/${about.id}/publish`, { published: 'true' });
    expect((await guest.get('/about')).status).toBe(200);
  });

  it('adds another page at /pages/<slug>, refuses a taken or bad URL name (422, nothing changed), deletes it', async () => {
    await admin.get('/admin/content/pages/new');
    let res = await admin.post('/admin/content/pages', {
      title: 'Shipping & returns',
      body: 'None: we ship bits.',
      published: 'on',
    });
    expect(res.status).toBe(303);
    const page = await ctx.db
      .selectFrom('site_pages')
      .selectAll()
      .where('slug', '=', 'shipping-returns')
      .executeTakeFirstOrThrow();
    expect((await guest.get('/pages/shipping-returns')).status).toBe(200);
    expect(guest.lastHtml).toContain('None: we ship bits.');
    const about = await guest.get('/pages/about');
    expect(about.status).toBe(301);
    expect(about.headers.get('location')).toBe('/about');

    const before = await count('site_pages');
    res = await admin.post('/admin/content/pages', { title: 'Terms again', slug: 'terms', body: 'x' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Another page already uses /terms');
    expect(admin.lastHtml).toContain('value="Terms again"');
    res = await admin.post('/admin/content/pages', { title: 'Bad', slug: 'Not OK!', body: 'x' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('only lower-case letters, digits and single hyphens');
    expect(await count('site_pages')).toBe(before);

    res = await admin.post(`/admin/content/pages/${page.id}/delete`);
    expect(res.status).toBe(303);
    expect((await guest.get('/pages/shipping-returns')).status).toBe(404);
  });
});

describe('staff only', () => {
  it('refuses customers and guests the content screens', async () => {
    expect((await customer.get('/admin/content/faq')).status).toBe(404);
    const res = await guest.get('/admin/content/docs');
    expect([302, 303]).toContain(res.status);
    expect((await customer.post('/admin/content/pages', { title: 'x', body: 'y' })).status).toBe(404);
    expect(await count('site_pages')).toBe(3);
  });
});
