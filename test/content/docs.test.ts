import { describe, expect, it } from 'vitest';
import { contentSitemapEntries } from '../../src/domain/content/pages.ts';
import { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { countRows } from '../helpers/db.ts';
import { html, pdf } from '../support/attachments-files.ts';
import { postMultipart } from '../support/attachments-upload.ts';
import { contentSuite, docsArticle } from './helpers.ts';

let ctx: TestContext, admin: TestBrowser, customer: TestBrowser, guest: TestBrowser;
contentSuite('203.0.113.91', (w) => ({ ctx, admin, customer, guest } = w));

const paths = async () => (await contentSitemapEntries(ctx.db)).map((e) => e.path);
const storedFiles = () => countRows(ctx.db, 'stored_files');

describe('docs screens and pages', () => {
  it('a draft article is a 404, absent from search and the sitemap, until it is published', async () => {
    await admin.get('/admin/content/docs/categories/new');
    let res = await admin.post('/admin/content/docs/categories', {
      name: 'Getting started',
      slug: '',
      description: 'First steps.',
      position: '0',
    });
    expect(res.status).toBe(303);
    const cat = await ctx.db.selectFrom('docs_categories').selectAll().executeTakeFirstOrThrow();
    expect(cat.slug).toBe('getting-started');

    await admin.get('/admin/content/docs/articles/new');
    res = await admin.post('/admin/content/docs/articles', {
      categoryId: cat.id,
      title: 'Connect with SSH',
      slug: '',
      summary: 'Reach your server from a terminal.',
      body: 'Run `ssh root@your-server` and use **your key**.',
      position: '0',
    });
    expect(res.status).toBe(303);
    const article = await ctx.db.selectFrom('docs_articles').selectAll().executeTakeFirstOrThrow();
    expect(res.headers.get('location')).toBe(`/admin/content/docs/articles/${article.id}`);
    expect(article.slug).toBe('connect-with-ssh');
    expect(article.published).toBe(false);

    for (const b of [guest, customer]) {
      expect((await b.get('/docs/getting-started/connect-with-ssh')).status).toBe(404);
      expect((await b.get('/docs/getting-started')).status).toBe(404);
      await b.get('/docs?q=ssh');
      expect(b.lastHtml).not.toContain('Connect with SSH');
      await b.get('/docs');
      expect(b.lastHtml).not.toContain('Getting started');
    }
    expect(await paths()).not.toContain('/docs/getting-started/connect-with-ssh');
    expect(await paths()).not.toContain('/docs/getting-started');
    // Staff preview the draft; nobody else may.
    expect((await admin.get(`/admin/content/docs/articles/${article.id}/preview`)).status).toBe(200);
    expect(admin.lastHtml).toContain('Preview of a draft');
    expect(admin.lastHtml).toContain('<code>ssh root@your-server</code>');
    expect((await customer.get(`/admin/content/docs/articles/${article.id}/preview`)).status).toBe(404);

    res = await admin.post(`/admin/content/docs/articles/${article.id}/publish`, { published: 'true' });
    expect(res.status).toBe(303);
    res = await guest.get('/docs/getting-started/connect-with-ssh');
    expect(res.status).toBe(200);
    expect(guest.lastHtml).toContain('<title>Connect with SSH');
    expect(guest.lastHtml).toContain('<meta name="description" content="Reach your server from a terminal."');
    expect(guest.lastHtml).toContain('<code>ssh root@your-server</code>');
    await guest.get('/docs?q=SSH');
    expect(guest.lastHtml).toContain('href="/docs/getting-started/connect-with-ssh"');
    // The same for every visitor: a CDN may keep it (ETag); a signed-in visitor's copy is private.
    const anonymous = await new TestBrowser(ctx.app, '203.0.113.93').get('/docs/getting-started/connect-with-ssh');
    expect(anonymous.headers.get('cache-control')).toMatch(/^public/);
    expect(anonymous.headers.get('etag')).toBeTruthy();
    const signedInCopy = await customer.get('/docs/getting-started/connect-with-ssh');
    expect(signedInCopy.status).toBe(200);
    expect(signedInCopy.headers.get('cache-control')).not.toMatch(/public/);
    await guest.get('/docs');
    expect(guest.lastHtml).toContain('Getting started');
    expect(await paths()).toEqual(
      expect.arrayContaining(['/docs', '/docs/getting-started', '/docs/getting-started/connect-with-ssh']),
    );

    // Withdrawn again: gone everywhere.
    await admin.post(`/admin/content/docs/articles/${article.id}/publish`, { published: 'false' });
    expect((await guest.get('/docs/getting-started/connect-with-ssh')).status).toBe(404);
    expect(await paths()).not.toContain('/docs/getting-started/connect-with-ssh');
  });

  it('refuses a taken or reserved URL name and bad input with 422, keeping the input and changing nothing', async () => {
    const first = await docsArticle(ctx, { slug: 'billing-faq', title: 'Billing', published: true });
    await admin.get('/admin/content/docs/articles/new');
    let res = await admin.post('/admin/content/docs/articles', {
      categoryId: first.category_id,
      title: 'Billing again',
      slug: 'billing-faq',
      body: 'Typed **text**',
    });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Another article already uses /docs/guides/billing-faq');
    expect(admin.lastHtml).toContain('Typed **text**</textarea>');
    res = await admin.post('/admin/content/docs/articles', { categoryId: 'nope', title: '', body: '' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Choose a category.');
    expect(admin.lastHtml).toContain('The title is required.');
    res = await admin.post('/admin/content/docs/categories', { name: 'Files', slug: 'files' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('used by the site itself');
    expect(await ctx.db.selectFrom('docs_articles').select('id').execute()).toHaveLength(1);
    expect(await ctx.db.selectFrom('docs_categories').select('id').execute()).toHaveLength(1);
    // A category with articles is not deleted.
    res = await admin.post(`/admin/content/docs/categories/${first.category_id}/delete`);
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('still has articles');
  });
});

describe('docs search', () => {
  it('finds published articles by every word in the title, summary or text, title matches first; % and _ are literal', async () => {
    await docsArticle(ctx, { slug: 'a', title: 'Resize a server', body: 'Choose a bigger plan.', published: true });
    await docsArticle(ctx, { slug: 'b', title: 'Backups', summary: 'Keep a server safe', published: true });
    await docsArticle(ctx, { slug: 'c', title: 'Server firewalls (draft)', published: false });
    await docsArticle(ctx, { slug: 'd', title: 'Discounts', body: 'Save 100% on nothing.', published: true });

    await guest.get('/docs?q=server');
    const order = [...guest.lastHtml.matchAll(/href="\/docs\/guides\/([a-d])"/g)].map((m) => m[1]);
    expect(order).toEqual(['a', 'b']);
    expect(guest.lastHtml).toContain('2 articles found');

    await guest.get('/docs?q=server+bigger');
    expect([...guest.lastHtml.matchAll(/href="\/docs\/guides\/([a-d])"/g)].map((m) => m[1])).toEqual(['a']);

    await guest.get(`/docs?q=${encodeURIComponent('100%')}`);
    expect([...guest.lastHtml.matchAll(/href="\/docs\/guides\/([a-d])"/g)].map((m) => m[1])).toEqual(['d']);
    await guest.get(`/docs?q=${encodeURIComponent('%')}`);
    expect([...guest.lastHtml.matchAll(/href="\/docs\/guides\/([a-d])"/g)].map((m) => m[1])).toEqual(['d']);
    await guest.get(`/docs?q=${encodeURIComponent('_')}`);
    expect(guest.lastHtml).toContain('No articles found');
    // What was typed is shown escaped.
    await guest.get(`/docs?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(guest.lastHtml).not.toContain('<script>alert(1)');
    expect(guest.lastHtml).toContain('&lt;script&gt;alert(1)');
  });
});

describe('docs files', () => {
  it('uploads a PDF, refuses HTML named .pdf (422, nothing stored), serves files of published articles only with safe headers, removes them', async () => {
    const a = await docsArticle(ctx, { slug: 'manual', title: 'Manual', published: false });
    await admin.get(`/admin/content/docs/articles/${a.id}`);
    const before = await storedFiles();

    let res = await postMultipart(ctx, admin, `/admin/content/docs/articles/${a.id}/files`, {}, [
      { name: 'invoice.pdf', bytes: html(), type: 'application/pdf' },
    ]);
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('invoice.pdf');
    expect(admin.lastHtml).toContain('aria-invalid="true"');
    expect(await ctx.db.selectFrom('docs_files').select('id').execute()).toHaveLength(0);
    expect(await storedFiles()).toBe(before);

    res = await postMultipart(ctx, admin, `/admin/content/docs/articles/${a.id}/files`, {}, [
      { name: 'Guide "v1".pdf', bytes: pdf(), type: 'text/html' },
    ]);
    expect(res.status).toBe(303);
    const file = await ctx.db.selectFrom('docs_files').selectAll().executeTakeFirstOrThrow();
    expect(file.content_type).toBe('application/pdf');
    expect(file.file_name).toBe('Guide _v1_.pdf');

    // A draft's file: staff only.
    expect((await guest.get(`/docs/files/${file.id}`)).status).toBe(404);
    expect((await customer.get(`/docs/files/${file.id}`)).status).toBe(404);
    expect((await admin.get(`/admin/content/docs/articles/${a.id}/files/${file.id}`)).status).toBe(200);

    await admin.post(`/admin/content/docs/articles/${a.id}/publish`, { published: 'true' });
    await guest.get('/docs/guides/manual');
    expect(guest.lastHtml).toContain(`href="/docs/files/${file.id}"`);
    res = await guest.get(`/docs/files/${file.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="Guide _v1_\.pdf"/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(Buffer.from(await res.arrayBuffer()).equals(pdf())).toBe(true);
    expect((await guest.get('/docs/files/not-a-uuid')).status).toBe(404);

    res = await admin.post(`/admin/content/docs/articles/${a.id}/files/${file.id}/delete`);
    expect(res.status).toBe(303);
    expect((await guest.get(`/docs/files/${file.id}`)).status).toBe(404);
    expect(await storedFiles()).toBe(before);
  });

  it('deleting an article deletes its files', async () => {
    const a = await docsArticle(ctx, { slug: 'gone', title: 'Gone', published: true });
    await admin.get(`/admin/content/docs/articles/${a.id}`);
    const before = await storedFiles();
    await postMultipart(ctx, admin, `/admin/content/docs/articles/${a.id}/files`, {}, [
      { name: 'a.pdf', bytes: pdf() },
      { name: 'notes.txt', bytes: Buffer.from('plain notes\n') },
    ]);
    expect(await storedFiles()).toBe(before + 2);
    const res = await admin.post(`/admin/content/docs/articles/${a.id}/delete`);
    expect(res.status).toBe(303);
    expect(await storedFiles()).toBe(before);
    expect((await guest.get('/docs/guides/gone')).status).toBe(404);
  });
});

describe('sitemap entries', () => {
  it('lists published pages, the FAQ when it has a published question, and nothing unpublished', async () => {
    expect(await paths()).toEqual(expect.arrayContaining(['/about', '/privacy', '/terms', '/docs']));
    expect(await paths()).not.toContain('/faq');
    const cat = await ctx.db
      .insertInto('faq_categories')
      .values({ name: 'G' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await ctx.db.insertInto('faq_items').values({ category_id: cat.id, question: 'Q?', answer: 'A' }).execute();
    expect(await paths()).not.toContain('/faq');
    await ctx.db.updateTable('faq_items').set({ published: true }).execute();
    expect(await paths()).toContain('/faq');
    await ctx.db.updateTable('site_pages').set({ published: false }).where('slug', '=', 'terms').execute();
    expect(await paths()).not.toContain('/terms');
    expect((await guest.get('/terms')).status).toBe(404);
    // The sitemap itself (SITE's /sitemap.xml) lists the same.
    const xml = await (await guest.get('/sitemap.xml')).text();
    expect(xml).toContain('/faq</loc>');
    expect(xml).not.toContain('/terms</loc>');
  });
});
