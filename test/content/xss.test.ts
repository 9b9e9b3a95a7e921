import { describe, expect, it } from 'vitest';
import type { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { contentSuite } from './helpers.ts';

let ctx: TestContext, admin: TestBrowser, guest: TestBrowser;
contentSuite('203.0.113.92', (w) => ({ ctx, admin, guest } = w));

/** Known XSS payloads, in Markdown and as raw HTML. */
const PAYLOADS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)>',
  '<iframe src="https://evil.example/"></iframe>',
  '[click](javascript:alert(1))',
  '[click](JaVaScRiPt:alert(1))',
  '[click](  javascript:alert(1))',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[x](https://ok.example/" onmouseover="alert(1))',
  '<a href="javascript:alert(1)">a</a>',
  '**<b onmouseover=alert(1)>bold</b>**',
  '`<script>alert(1)</script>`',
  '```\n<script>alert(1)</script>\n```',
  '<object data="x.swf"></object><embed src="x">',
  '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
].join('\n\n');
const TITLE = '<script>alert("t")</script><img src=x onerror=alert(2)>';

/** What a page must not contain: live markup from the payloads. */
function expectInert(page: string) {
  expect(page).not.toMatch(/<script(?![^>]*\bnonce=)(?![^>]*\bsrc=)[^>]*>[^<]*alert/i);
  expect(page).not.toMatch(/<img[^>]*onerror/i);
  expect(page).not.toMatch(/<svg[^>]*onload/i);
  expect(page).not.toMatch(/<iframe/i);
  expect(page).not.toMatch(/<object|<embed/i);
  // (The layout's own `<link rel="icon" href="data:,">` is no payload.)
  expect(page).not.toMatch(/href\s*=\s*"\s*(javascript:|data:(?!,"))/i);
  // An event handler as an attribute of a real tag (text inside a quoted attribute value, like the escaped title in
  // <meta content="…">, is inert: it is blanked first).
  expect(page.replace(/"[^"]*"/g, '""')).not.toMatch(/<[a-z]+[^>]*\son(mouseover|load|error)=/i);
  expect(page).toContain('&lt;script&gt;');
}

describe('Markdown and titles come out inert', () => {
  it('in a docs article, its summary and title, the docs index and search', async () => {
    const cat = await ctx.db
      .insertInto('docs_categories')
      .values({ slug: 'x', name: TITLE })
      .returning('id')
      .executeTakeFirstOrThrow();
    await admin.get('/admin/content/docs/articles/new');
    const res = await admin.post('/admin/content/docs/articles', {
      categoryId: cat.id,
      title: TITLE,
      slug: 'payloads',
      summary: TITLE,
      body: PAYLOADS,
      published: 'on',
    });
    expect(res.status).toBe(303);
    expect((await guest.get('/docs/x/payloads')).status).toBe(200);
    expectInert(guest.lastHtml);
    // The safe link of the list still works.
    await guest.get('/docs');
    expectInert(guest.lastHtml);
    await guest.get('/docs?q=alert');
    expectInert(guest.lastHtml);
    await guest.get('/docs/x');
    expectInert(guest.lastHtml);
    // And on the staff screen.
    const id = (await ctx.db.selectFrom('docs_articles').select('id').executeTakeFirstOrThrow()).id;
    await admin.get(`/admin/content/docs/articles/${id}`);
    expectInert(admin.lastHtml);
  });

  it('in an FAQ answer and question', async () => {
    const cat = await ctx.db
      .insertInto('faq_categories')
      .values({ name: TITLE })
      .returning('id')
      .executeTakeFirstOrThrow();
    await admin.get('/admin/content/faq/items/new');
    const res = await admin.post('/admin/content/faq/items', {
      categoryId: cat.id,
      question: TITLE,
      answer: PAYLOADS,
      published: 'on',
    });
    expect(res.status).toBe(303);
    await guest.get('/faq');
    expectInert(guest.lastHtml);
    await admin.get('/admin/content/faq');
    expectInert(admin.lastHtml);
  });

  it('in a page and its title and description', async () => {
    await admin.get('/admin/content/pages/new');
    const res = await admin.post('/admin/content/pages', {
      title: TITLE,
      slug: 'payloads',
      description: TITLE,
      body: `[fine](https://example.com/ok)\n\n${PAYLOADS}`,
      published: 'on',
    });
    expect(res.status).toBe(303);
    await guest.get('/pages/payloads');
    expectInert(guest.lastHtml);
    expect(guest.lastHtml).toContain('<a href="https://example.com/ok" rel="noopener noreferrer nofollow">fine</a>');
  });
});
