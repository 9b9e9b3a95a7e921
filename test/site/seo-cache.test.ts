import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sitemapXml } from '../../src/web/pages/public/seo.ts';
import { putSetting } from '../../src/domain/settings/store.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';

/**
 * Issue 16 item 3: robots.txt and sitemap.xml (absolute URLs on PUBLIC_URL, published content
 * only), and anonymous public pages a CDN may keep (ETag and 304, public Cache-Control, Vary)
 * without anything per visitor in them: no nonce, no CSRF token, no cookie; the same bytes for
 * every anonymous visitor. Signed-in answers, pages with a form and visitors whose cookies
 * change the page stay private, no-store.
 */

const PUBLIC_URL = 'https://cloud.example.test';
let ctx: TestContext;
let ip = 10;
const anonymous = (path: string, headers: Record<string, string> = {}) =>
  ctx.app.request(path, { headers: { 'x-forwarded-for': `203.0.113.${ip++ % 250}`, ...headers } });

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL });
  await seedServerCatalogue(ctx.db);
});
afterAll(() => ctx?.close());

/** A small well-formedness check: every tag closed in order, no stray `&` or `<`. */
function wellFormedXml(xml: string): boolean {
  if (!xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')) return false;
  const body = xml.replace(/^<\?xml[^>]*\?>/, '');
  const stack: string[] = [];
  const tokens = body.split(/(<[^>]*>)/);
  for (const t of tokens) {
    if (t.startsWith('<')) {
      const close = /^<\/([\w:-]+)>$/.exec(t);
      const open = /^<([\w:-]+)(\s+[\w:-]+="[^"<&]*")*\s*(\/?)>$/.exec(t);
      if (close) {
        if (stack.pop() !== close[1]) return false;
      } else if (open) {
        if (!open[3]) stack.push(open[1]!);
      } else return false;
    } else if (/<|&(?!(amp|lt|gt|quot|apos);)/.test(t)) return false;
  }
  return stack.length === 0;
}

describe('robots.txt', () => {
  it('allows the public site, keeps crawlers out of signed-in areas, staff pages and the API, and names the sitemap', async () => {
    const res = await anonymous('/robots.txt');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^User-agent: \*\nAllow: \/\n/);
    for (const p of ['/admin', '/api/', '/dashboard', '/vps', '/billing', '/settings', '/support', '/login'])
      expect(text).toContain(`\nDisallow: ${p}\n`);
    for (const p of ['/pricing', '/regions', '/blog', '/docs', '/faq', '/status'])
      expect(text).not.toMatch(new RegExp(`Disallow: ${p}\\b`));
    expect(text).toContain(`Sitemap: ${PUBLIC_URL}/sitemap.xml`);
  });
});

describe('sitemap.xml', () => {
  beforeAll(async () => {
    await ctx.db
      .insertInto('site_pages')
      .values([
        { slug: 'shipping-info', title: 'Shipping', published: true },
        { slug: 'secret-plans', title: 'Draft', published: false },
      ])
      .execute();
    const now = Date.now();
    await ctx.db
      .insertInto('blog_posts')
      .values([
        { slug: 'hello-world', title: 'Hello', status: 'published', published_at: new Date(now - 3_600_000) },
        { slug: 'a-draft', title: 'Draft', status: 'draft', published_at: null },
        { slug: 'scheduled-post', title: 'Later', status: 'published', published_at: new Date(now + 86_400_000) },
      ])
      .execute();
  });

  it('is well-formed XML listing the public pages and published content, with absolute URLs on PUBLIC_URL', async () => {
    const res = await anonymous('/sitemap.xml');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    const xml = await res.text();
    expect(wellFormedXml(xml)).toBe(true);
    expect(xml).toContain('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">');
    const locs = [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]!);
    for (const loc of locs) expect(loc.startsWith(`${PUBLIC_URL}/`), loc).toBe(true);
    for (const p of ['/', '/pricing', '/regions', '/pages/shipping-info', '/blog/hello-world'])
      expect(locs).toContain(`${PUBLIC_URL}${p}`);
    expect(new Set(locs).size).toBe(locs.length);
    expect(xml).toMatch(/<loc>[^<]+\/blog\/hello-world<\/loc><lastmod>\d{4}-\d\d-\d\dT[\d:.]+Z<\/lastmod>/);
  });

  it('lists published content only: no draft page, draft post or post scheduled for later', async () => {
    const xml = await (await anonymous('/sitemap.xml')).text();
    expect(xml).not.toContain('secret-plans');
    expect(xml).not.toContain('a-draft');
    expect(xml).not.toContain('scheduled-post');
    await ctx.db.updateTable('blog_posts').set({ status: 'draft' }).where('slug', '=', 'hello-world').execute();
    expect(await (await anonymous('/sitemap.xml')).text()).not.toContain('hello-world');
  });

  it('escapes what it prints and publishes site paths only', () => {
    const xml = sitemapXml(PUBLIC_URL, [
      { path: '/docs/fish-&-chips', updatedAt: null },
      { path: '/a<b>', updatedAt: new Date('2026-01-02T03:04:05Z') },
      { path: '//evil.example/x', updatedAt: null },
      { path: 'https://evil.example/', updatedAt: null },
    ]);
    expect(wellFormedXml(xml)).toBe(true);
    expect(xml).toContain(`<loc>${PUBLIC_URL}/docs/fish-&amp;-chips</loc>`);
    expect(xml).toContain(`<loc>${PUBLIC_URL}/a%3Cb%3E</loc><lastmod>2026-01-02T03:04:05.000Z</lastmod>`);
    expect(xml).not.toContain('evil.example');
  });

  it('never takes its URLs from the Host header', async () => {
    const xml = await (
      await anonymous('/sitemap.xml', { host: 'evil.example', 'x-forwarded-host': 'evil.example' })
    ).text();
    expect(xml).not.toContain('evil.example');
  });
});

describe('caching of anonymous public pages', () => {
  const CACHEABLE = ['/', '/pricing', '/regions'];

  it('are public for a minute with a strong ETag, Vary on Cookie, and no cookie set', async () => {
    for (const path of CACHEABLE) {
      const res = await anonymous(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).toBe('public, max-age=60');
      expect(res.headers.get('etag'), path).toMatch(/^"[\w-]{27}"$/);
      expect(res.headers.get('vary'), path).toMatch(/\bCookie\b/);
      expect(res.headers.get('vary'), path).toMatch(/\bHX-Request\b/);
      expect(res.headers.getSetCookie(), path).toEqual([]);
    }
  });

  it('answer 304 to If-None-Match with the ETag, compressed (weak tag) or not', async () => {
    const first = await anonymous('/pricing');
    const etag = first.headers.get('etag')!;
    const again = await anonymous('/pricing', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe('public, max-age=60');

    const gz = await anonymous('/pricing', { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const weak = gz.headers.get('etag')!;
    expect(weak).toBe(`W/${etag}`);
    expect((await anonymous('/pricing', { 'accept-encoding': 'gzip', 'if-none-match': weak })).status).toBe(304);
    expect((await anonymous('/pricing', { 'if-none-match': '"something-else"' })).status).toBe(200);
  });

  it('give two anonymous visitors the same bytes: no nonce, no CSRF token, nothing per visitor', async () => {
    const a = new TestBrowser(ctx.app, '203.0.113.201');
    const b = new TestBrowser(ctx.app, '203.0.113.202');
    await b.get('/login'); // b now has the anonymous CSRF cookie: it changes nothing on a public page
    for (const path of CACHEABLE) {
      const ra = await a.get(path);
      const rb = await b.get(path);
      expect(a.lastHtml, path).toBe(b.lastHtml);
      expect(ra.headers.get('etag')).toBe(rb.headers.get('etag'));
      expect(a.lastHtml).not.toMatch(/csrf|X-CSRF-Token|nonce="[^"]/i);
    }
  });

  it('have a CSP without a nonce that allows the theme script (and nothing else inline) by hash', async () => {
    const res = await anonymous('/');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).not.toContain('nonce-');
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await res.text();
    const inline = [...html.matchAll(/<script\b(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(inline.length).toBe(1);
    const hash = `'sha256-${createHash('sha256').update(inline[0]!).digest('base64')}'`;
    expect(csp).toContain(`script-src 'self' ${hash}`);
    expect(html).not.toMatch(/<style|\sstyle="/); // no brand colour set
    // The rest of the policy is the strict one every other page has.
    const strict = (await anonymous('/login')).headers.get('content-security-policy')!;
    const rest = (p: string) =>
      p
        .split('; ')
        .filter((d) => !/^(script|style)-src /.test(d) && !d.startsWith('form-action'))
        .join('; ');
    expect(rest(csp)).toBe(rest(strict));
  });

  it('allow the brand colour (an inline <style> made from the colour alone) by hash', async () => {
    await putSetting(ctx.db, 'site', { primaryColor: '#0f766e' }, null, new Date());
    try {
      let res = await anonymous('/pricing');
      for (let i = 0; i < 50 && !(await res.clone().text()).includes('data-brand-colour'); i++) {
        await new Promise((r) => setTimeout(r, 20));
        res = await anonymous('/pricing');
      }
      const html = await res.text();
      const style = /<style\b[^>]*data-brand-colour>([^<]+)<\/style>/.exec(html)![1]!;
      expect(style).toContain('--brand-primary:#0f766e');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain(`style-src 'self' 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
      expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    } finally {
      await ctx.db.deleteFrom('platform_settings').where('key', '=', 'site').execute();
    }
  });

  it("cover the blog too (another helper's pages, listed by path)", async () => {
    const res = await anonymous('/blog');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('etag')).toBeTruthy();
  });

  it('are private, no-store for a signed-in person, with the nonce and CSRF token as on any page', async () => {
    const olive = await createPerson(ctx, 'Olive Owner', { verified: true, email: uniqueEmail('Olive Owner') });
    const browser = await signedIn(ctx, olive.email);
    for (const path of CACHEABLE) {
      const res = await browser.get(path);
      expect(res.headers.get('cache-control'), path).toMatch(/no-store/);
      expect(res.headers.get('etag'), path).toBeNull();
      const nonce = /'nonce-([^']+)'/.exec(res.headers.get('content-security-policy')!)![1]!;
      for (const tag of browser.lastHtml.match(/<script[^>]*>/g)!) expect(tag).toContain(`nonce="${nonce}"`);
      expect(browser.lastHtml).toContain('name="csrf-token"');
    }
  });

  it('are private for a visitor whose cookies change the page (a flash message, dismissed announcements, a session)', async () => {
    for (const cookie of ['sp_flash=x', 'sp_dismissed=00000000-0000-4000-8000-000000000000', 'sp_session=stale']) {
      const res = await anonymous('/pricing', { cookie });
      expect(res.headers.get('cache-control'), cookie).toBe('private, no-store');
      expect(res.headers.get('etag'), cookie).toBeNull();
    }
  });

  it('are private while a guest sees a dismissable announcement (its form carries a CSRF token)', async () => {
    const [row] = await ctx.db
      .insertInto('announcements')
      .values({
        title: 'Scheduled maintenance',
        audience: 'everyone',
        dismissable: true,
        starts_at: null,
        ends_at: null,
      })
      .returning('id')
      .execute();
    try {
      let res = await anonymous('/regions');
      for (let i = 0; i < 50 && !(await res.clone().text()).includes('Scheduled maintenance'); i++) {
        await new Promise((r) => setTimeout(r, 20));
        res = await anonymous('/regions');
      }
      const html = await res.text();
      expect(html).toContain('Scheduled maintenance');
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      expect(res.headers.get('etag')).toBeNull();
      expect(html).toMatch(/name="_csrf" value="[^"]+"/);
    } finally {
      await ctx.db.deleteFrom('announcements').where('id', '=', row!.id).execute();
    }
  });

  it('leave pages with a form private, no-store: sign-in and registration', async () => {
    for (const path of ['/login', '/register']) {
      const res = await anonymous(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).toBe('private, no-store');
      expect(res.headers.get('etag'), path).toBeNull();
    }
  });

  it('cache robots.txt and sitemap.xml too', async () => {
    for (const path of ['/robots.txt', '/sitemap.xml']) {
      const res = await anonymous(path);
      expect(res.headers.get('cache-control'), path).toBe('public, max-age=60');
      expect(res.headers.get('etag'), path).toBeTruthy();
    }
  });
});
