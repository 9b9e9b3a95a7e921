import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blogSitemapEntries } from '../../src/domain/content/blog.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { png, wellFormed, writePost } from './helpers.ts';

let ctx: TestContext;
let admin: TestBrowser;
let guest: TestBrowser;
let ada: Awaited<ReturnType<typeof createPerson>>;

beforeAll(async () => {
  ctx = await createTestContext();
  ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  admin = await signedIn(ctx, ada.email);
  guest = new TestBrowser(ctx.app, '203.0.113.90');
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('blog_posts').execute();
  await ctx.db.deleteFrom('blog_categories').execute();
});

const inHours = (h: number) => new Date(ctx.clock.now().getTime() + h * 3_600_000).toISOString().slice(0, 16);
const get = (path: string) => guest.get(path);
const text = async (path: string) => (await get(path)).text();

/** A published post, a draft and one scheduled a day ahead, each with a cover; their rows. */
async function threePosts() {
  await admin.post('/admin/content/blog/categories', { name: 'Product news', slug: 'news' });
  const cat = await ctx.db.selectFrom('blog_categories').select('id').executeTakeFirstOrThrow();
  const cover = { name: 'cover.png', bytes: png() };
  const live = await writePost(
    ctx,
    admin,
    { title: 'Live post', tags: 'ipv6', categoryId: cat.id, coverAlt: 'Servers' },
    cover,
  );
  const draft = await writePost(
    ctx,
    admin,
    { title: 'Draft post', status: 'draft', tags: 'secret-tag', categoryId: cat.id, coverAlt: 'x' },
    cover,
  );
  const later = await writePost(
    ctx,
    admin,
    { title: 'Scheduled post', publishedAt: inHours(24), tags: 'ipv6', coverAlt: 'y' },
    cover,
  );
  return { live, draft, later };
}

describe('what the public sees of the blog', () => {
  it('a published post: listed, its page with Markdown, cover, author name (never email), date, category and tags', async () => {
    const { live } = await threePosts();
    const list = await get('/blog');
    expect(list.status).toBe(200);
    expect(guest.lastHtml).toContain('<title>Blog · ');
    expect(guest.lastHtml).toContain('href="/blog/live-post"');

    const res = await get('/blog/live-post');
    expect(res.status).toBe(200);
    const page = guest.lastHtml;
    expect(page).toContain('<title>Live post · ');
    expect(page).toContain('<strong>two</strong>');
    expect(page).toContain(`src="/blog/images/${live.cover_file_id}" alt="Servers"`);
    expect(page).toContain('Ada Admin');
    expect(page).not.toContain(ada.email);
    expect(page).toContain(`datetime="${ctx.clock.now().toISOString()}"`);
    expect(page).toContain('href="/blog/category/news"');
    expect(page).toContain('href="/blog/tag/ipv6"');
    expect(page).toContain('<link rel="alternate" type="application/rss+xml"');
    expect(page).toContain(
      `<meta property="og:image" content="${ctx.config.publicUrl}/blog/images/${live.cover_file_id}">`,
    );
    expect(page).toContain('<meta property="og:type" content="article">');
    expect(page).toContain('<meta name="description" content="Two new regions, same prices.">');
    expect(page).toContain('<link rel="alternate" type="application/atom+xml"');

    const img = await get(`/blog/images/${live.cover_file_id}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(img.headers.get('x-content-type-options')).toBe('nosniff');
    expect(img.headers.get('content-security-policy')).toContain('sandbox');
    expect(img.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    expect(Buffer.from(await img.arrayBuffer()).equals(png())).toBe(true);
    const again = await guest.get(`/blog/images/${live.cover_file_id}`, { 'if-none-match': img.headers.get('etag')! });
    expect(again.status).toBe(304);
  });

  it('drafts and scheduled posts are 404, left out of every list, feed, tag page and the sitemap, their covers too', async () => {
    const { draft, later } = await threePosts();
    for (const slug of ['draft-post', 'scheduled-post']) expect((await get(`/blog/${slug}`)).status).toBe(404);
    for (const id of [draft.cover_file_id, later.cover_file_id])
      expect((await get(`/blog/images/${id}`)).status).toBe(404);
    for (const path of ['/blog', '/blog/category/news', '/blog/tag/ipv6', '/blog/feed.xml', '/blog/atom.xml']) {
      const body = await text(path);
      expect(body, path).toContain('Live post');
      expect(body, path).not.toContain('Draft post');
      expect(body, path).not.toContain('Scheduled post');
    }
    expect((await get('/blog/tag/secret-tag')).status).toBe(404);
    const entries = (await blogSitemapEntries(ctx.db, ctx.clock.now())).map((e) => e.path);
    expect(entries).toContain('/blog');
    expect(entries).toContain('/blog/live-post');
    expect(entries).toContain('/blog/category/news');
    expect(entries.filter((p) => /draft|scheduled/.test(p))).toEqual([]);

    // The scheduled post appears by itself when its time comes.
    ctx.clock.advance(25 * 3_600_000);
    try {
      expect((await get('/blog/scheduled-post')).status).toBe(200);
      expect(await text('/blog/feed.xml')).toContain('Scheduled post');
      expect((await get(`/blog/images/${later.cover_file_id}`)).status).toBe(200);
      expect((await blogSitemapEntries(ctx.db, ctx.clock.now())).map((e) => e.path)).toContain('/blog/scheduled-post');
    } finally {
      ctx.clock.advance(-25 * 3_600_000);
    }
  });

  it('with nothing published, the sitemap has no blog entries', async () => {
    await writePost(ctx, admin, { title: 'Only a draft', status: 'draft' });
    expect(await blogSitemapEntries(ctx.db, ctx.clock.now())).toEqual([]);
  });

  it('an anonymous visitor gets pages a CDN may keep (no per-visitor token in them)', async () => {
    await writePost(ctx, admin, { title: 'Cached post', tags: 'cdn' });
    const anonymous = new TestBrowser(ctx.app, '203.0.113.91');
    for (const path of ['/blog', '/blog/cached-post', '/blog/tag/cdn']) {
      const res = await anonymous.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).toMatch(/^public, max-age=\d+/);
      expect(anonymous.lastHtml, path).not.toContain('csrf-token');
    }
  });

  it('an unknown post, category or tag is 404', async () => {
    for (const path of [
      '/blog/nothing-here',
      '/blog/category/nothing',
      '/blog/tag/nothing',
      '/blog/images/not-a-uuid',
      `/blog/images/${crypto.randomUUID()}`,
    ])
      expect((await get(path)).status, path).toBe(404);
  });

  it('pages the list ten at a time, newest first; a page past the end is 404', async () => {
    for (let i = 1; i <= 12; i++) {
      await writePost(ctx, admin, { title: `Post number ${i}`, publishedAt: inHours(-24 + i) });
    }
    await get('/blog');
    expect(guest.lastHtml.indexOf('Post number 12')).toBeLessThan(guest.lastHtml.indexOf('Post number 11'));
    expect(guest.lastHtml).not.toContain('Post number 2<');
    expect(guest.lastHtml).toContain('href="/blog?page=2"');
    expect((await get('/blog?page=2')).status).toBe(200);
    expect(guest.lastHtml).toContain('Post number 1<');
    expect(guest.lastHtml).toContain('Post number 2<');
    expect(guest.lastHtml).not.toContain('Post number 3<');
    expect((await get('/blog?page=3')).status).toBe(404);
  });

  it('the feeds are XML with every title escaped, RSS 2.0 and Atom', async () => {
    const title = 'Fast & safe <script>alert(1)</script> "servers"';
    await writePost(ctx, admin, { title, slug: 'fast-and-safe', summary: 'Tom & Jerry <b>bold</b>' });
    const rss = await get('/blog/feed.xml');
    expect(rss.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    const rssXml = await rss.text();
    expect(rssXml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"')).toBe(true);
    expect(wellFormed(rssXml)).toBeNull();
    expect(rssXml).toContain(
      '<title>Fast &amp; safe &lt;script&gt;alert(1)&lt;/script&gt; &quot;servers&quot;</title>',
    );
    expect(rssXml).toContain('<description>Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;</description>');
    expect(rssXml).toContain(`<link>${ctx.config.publicUrl}/blog/fast-and-safe</link>`);
    expect(rssXml).toContain(`<pubDate>${ctx.clock.now().toUTCString()}</pubDate>`);
    expect(rssXml).not.toContain('<script>');

    const atom = await get('/blog/atom.xml');
    expect(atom.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const atomXml = await atom.text();
    expect(wellFormed(atomXml)).toBeNull();
    expect(atomXml).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect(atomXml).toContain(
      '<title>Fast &amp; safe &lt;script&gt;alert(1)&lt;/script&gt; &quot;servers&quot;</title>',
    );
    expect(atomXml).toContain(`<id>${ctx.config.publicUrl}/blog/fast-and-safe</id>`);
    expect(atomXml).toContain('<author><name>Ada Admin</name></author>');
    expect(atomXml).not.toContain(ada.email);
    expect(atomXml).not.toContain('<script>');
  });

  it('the well-formedness check itself catches a bare & and an unclosed element', () => {
    expect(wellFormed('<a>Tom & Jerry</a>')).toMatch(/bare &/);
    expect(wellFormed('<a><b></a>')).not.toBeNull();
    expect(wellFormed('<a x="1"><b/>&amp;</a>')).toBeNull();
  });

  it('XSS payloads in the Markdown body come out inert', async () => {
    const payloads = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[click](javascript:alert(1))',
      '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
      '<iframe src="https://evil.example"></iframe>',
      '<a href="https://x.example" onclick="alert(1)">x</a>',
      '<svg onload=alert(1)>',
      '[ok](https://example.com "title" onmouseover=alert(1))',
    ];
    await writePost(ctx, admin, { title: 'Payloads', body: payloads.join('\n\n') });
    await get('/blog/payloads');
    const body = /<div class="post-body[^>]*>([\s\S]*?)<\/div>\n/.exec(guest.lastHtml)![1]!;
    // Only the subset's own elements, no event handler attribute, no link but http(s)/mailto: the payloads are text.
    const tags = [...body.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1]!.toLowerCase());
    expect(new Set(tags)).toEqual(new Set(['p']));
    expect(body).not.toMatch(/<[^>]*\son\w+=/i);
    expect([...body.matchAll(/href="([^"]*)"/g)].filter((m) => !/^(https?:|mailto:)/.test(m[1]!))).toEqual([]);
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
