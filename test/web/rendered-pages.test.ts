import { Hono } from 'hono';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRenderer } from '../../src/web/render.ts';
import { fill, PLACEHOLDERS, RenderedPages } from '../../src/web/rendered-pages.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

/**
 * A page view reuses an earlier rendering when every input of the page is the same (the same
 * shared objects, equal everything else), with this request's nonce and CSRF token filled in.
 * Through the real app on real PostgreSQL: what people see is never another person's page, an
 * old page after a change (made here or by another process), or a page with someone else's
 * nonce or token.
 */

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '1000' });
});
afterAll(async () => ctx.close());

let ipSeq = 0;
const person = (name: string) => createPerson(ctx, name, { verified: true, email: uniqueEmail(name) });
const browserOf = (p: { email: string }) => signedIn(ctx, p.email, PASSWORD, `192.0.2.${++ipSeq}`);
const pages = () => ctx.deps.renderedPages.stats;
/** A name as a page prints it (escaped). */
const shown = (text: string) => text.replaceAll('&', '&amp;').replaceAll("'", '&#39;');
const nonceOf = (res: Response) => /'nonce-([^']+)'/.exec(res.headers.get('content-security-policy') ?? '')?.[1];

/** A write from outside this process, as another instance would make it: only NOTIFY tells this one. */
async function elsewhere(sql: string, params: unknown[]) {
  const client = new pg.Client({ connectionString: ctx.url });
  await client.connect();
  try {
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

describe('reused pages', () => {
  it('a second view is the kept rendering with its own nonce and a CSRF token that works', async () => {
    const ada = await person('Ada Reuse');
    const b = await browserOf(ada);
    const first = await b.get('/dashboard');
    const firstHtml = b.lastHtml;
    const before = pages();
    const second = await b.get('/dashboard');
    const secondHtml = b.lastHtml;
    expect(pages().hits).toBe(before.hits + 1);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(secondHtml).toContain('Welcome, Ada Reuse');

    // Each response's scripts carry that response's nonce, never the other's, nor a placeholder.
    const [n1, n2] = [nonceOf(first)!, nonceOf(second)!];
    expect(n1).not.toBe(n2);
    expect(firstHtml).toContain(`nonce="${n1}"`);
    expect(secondHtml).toContain(`nonce="${n2}"`);
    expect(secondHtml).not.toContain(n1);
    for (const html of [firstHtml, secondHtml]) {
      expect(html).not.toContain(PLACEHOLDERS.nonce);
      expect(html).not.toContain(PLACEHOLDERS.csrf);
    }
    // The same page apart from the two per-request values.
    const token = (html: string) => /name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
    expect(token(secondHtml)).not.toBe(token(firstHtml));
    expect(secondHtml.replaceAll(n2, 'N').replaceAll(token(secondHtml), 'T')).toBe(
      firstHtml.replaceAll(n1, 'N').replaceAll(token(firstHtml), 'T'),
    );

    // The reused page's token (the browser took it from the second page) is accepted.
    expect(b.csrf).toBe(token(secondHtml));
    const saved = await b.post('/settings/profile', { name: 'Ada Renamed', phone: '', timezone: 'UTC' });
    expect(saved.status).toBe(303);
    await b.get('/dashboard');
    expect(b.lastHtml).toContain('Welcome, Ada Renamed');
    expect(b.lastHtml).not.toContain('Welcome, Ada Reuse');
  });

  it('never shows one person the page kept for another', async () => {
    const [ann, bob] = [await person('Ann Keeper'), await person('Bob Keeper')];
    const [a, b] = [await browserOf(ann), await browserOf(bob)];
    for (let i = 0; i < 2; i++) {
      await a.get('/dashboard');
      expect(a.lastHtml).toContain('Welcome, Ann Keeper');
      expect(a.lastHtml).toContain(shown(ann.organization.name));
      await b.get('/dashboard');
      expect(b.lastHtml).toContain('Welcome, Bob Keeper');
      expect(b.lastHtml).not.toContain('Ann Keeper');
      expect(b.lastHtml).not.toContain(shown(ann.organization.name));
    }
  });

  it('shows a change another process made as soon as its notification arrives', async () => {
    const cy = await person('Cy Notified');
    const b = await browserOf(cy);
    await b.get('/dashboard');
    await b.get('/dashboard');
    expect(b.lastHtml).toContain(shown(cy.organization.name));
    await elsewhere('update organizations set name = $1 where id = $2', ['Renamed Elsewhere Ltd', cy.organization.id]);
    await expect
      .poll(async () => (await b.get('/dashboard'), b.lastHtml.includes('Renamed Elsewhere Ltd')), { timeout: 5000 })
      .toBe(true);
    await elsewhere('update users set name = $1 where id = $2', ['Cy Elsewhere', cy.id]);
    await expect
      .poll(async () => (await b.get('/dashboard'), b.lastHtml.includes('Welcome, Cy Elsewhere')), { timeout: 5000 })
      .toBe(true);
  });

  it('shows a one-time message once, and the page after it without', async () => {
    const di = await person('Di Flash');
    const b = await browserOf(di);
    await b.get('/dashboard');
    await b.get('/settings/profile');
    const saved = await b.post('/settings/profile', { name: 'Di Flash', phone: '', timezone: 'UTC' });
    expect(saved.status).toBe(303);
    const flashed = (await b.get(saved.headers.get('location')!), b.lastHtml);
    expect(flashed).toContain('Your profile is saved.');
    await b.get(saved.headers.get('location')!);
    expect(b.lastHtml).not.toContain('Your profile is saved.');
    await b.get(saved.headers.get('location')!);
    expect(b.lastHtml).not.toContain('Your profile is saved.');
  });

  it('answers an htmx request for a region with the region, and the page after it in full', async () => {
    const ed = await person('Ed Region');
    const b = await browserOf(ed);
    await b.get('/vps');
    const full = b.lastHtml;
    expect(full).toContain('<html');
    await b.get('/vps', { 'hx-request': 'true', 'hx-target': 'server-rows' });
    expect(b.lastHtml).not.toContain('<html');
    await b.get('/vps');
    expect(b.lastHtml).toContain('<html');
  });

  it('says a reused page printed the CSRF token, as its rendering did (such a page is never stored by shared caches)', async () => {
    const view = createRenderer(ctx.config, ctx.deps.assets, new RenderedPages({ maxEntries: 10, maxBytes: 1 << 20 }));
    const app = new Hono();
    const shown: unknown[] = [];
    app.use(async (c, next) => {
      c.set('nonce', 'bm9uY2U=');
      c.set('csrfToken', 'dG9rZW4');
      await next();
      shown.push(c.get('csrfTokenShown'));
    });
    app.get('/login', (c) =>
      view.page(c, 'public/login', { values: {}, errors: {}, next: null }, { title: 'Sign in' }),
    );
    const first = await (await app.request('/login')).text();
    const second = await (await app.request('/login')).text();
    expect(second).toBe(first);
    expect(second).toContain('value="dG9rZW4"');
    expect(shown).toEqual([true, true]);
  });

  it('sends a page shared caches may store with the same bytes and ETag when reused', async () => {
    const visitor = () => new TestBrowser(ctx.app, '192.0.2.251');
    const first = await visitor().get('/');
    const before = pages();
    const second = await visitor().get('/');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toMatch(/public/);
    expect(pages().hits).toBe(before.hits + 1);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(await second.text()).toBe(await first.text());
  });
});

describe('RenderedPages', () => {
  const html = (n: number) =>
    `<p nonce="${PLACEHOLDERS.nonce}">${'x'.repeat(n)}<input value="${PLACEHOLDERS.csrf}"></p>`;

  it('fills each placeholder with this request’s value', () => {
    const kept = new RenderedPages({ maxEntries: 10, maxBytes: 1 << 20 });
    const page = kept.keep('k', html(3), true);
    expect(fill(page, 'NONCE1', 'tok/en+=').toString()).toBe('<p nonce="NONCE1">xxx<input value="tok/en+="></p>');
    expect(kept.get('k')?.csrfShown).toBe(true);
    const plain = kept.keep('plain', '<p>é</p>', false);
    expect(fill(plain, 'n', 't').toString()).toBe('<p>é</p>');
  });

  it('gives every view bytes of its own: a later fill never changes an earlier one', () => {
    const kept = new RenderedPages({ maxEntries: 10, maxBytes: 64 << 20 });
    // Pages of a few sizes, the largest beyond what is cut from shared memory.
    const pages = [7, 5_000, 30_000, 100_000].map((n) => ({ n, page: kept.keep(`p${n}`, html(n), true) }));
    const sent: Array<{ n: number; nonce: string; bytes: Buffer }> = [];
    for (let i = 0; i < 400; i++)
      for (const { n, page } of pages) sent.push({ n, nonce: `N${i}x${n}`, bytes: fill(page, `N${i}x${n}`, `t${i}`) });
    for (const [i, { n, nonce, bytes }] of sent.entries())
      expect(bytes.toString()).toBe(`<p nonce="${nonce}">${'x'.repeat(n)}<input value="t${Math.floor(i / 4)}"></p>`);
  });

  it('forgets the least recently used pages beyond its count and its bytes', () => {
    const kept = new RenderedPages({ maxEntries: 3, maxBytes: 1 << 20 });
    for (const k of ['a', 'b', 'c']) kept.keep(k, html(10), false);
    kept.get('a');
    kept.keep('d', html(10), false);
    expect(kept.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => kept.get(k) !== undefined)).toEqual([true, true, true]);

    // Each page is about 110 bytes: ten of them pass a budget of 1,000.
    const small = new RenderedPages({ maxEntries: 100, maxBytes: 1000 });
    for (let i = 0; i < 10; i++) small.keep(`k${i}`, html(80), false);
    expect(small.stats.bytes).toBeLessThanOrEqual(1000);
    expect(small.get('k0')).toBeUndefined();
    expect(small.get('k9')).toBeDefined();
    // A page larger than an eighth of the budget is sent, not kept.
    small.keep('big', html(200), false);
    expect(small.get('big')).toBeUndefined();
  });

  it('forgets pages no view used for idleMs (their inputs are gone: nothing can name them again)', () => {
    let now = 1_000_000;
    const kept = new RenderedPages({ maxEntries: 100, maxBytes: 1 << 20, idleMs: 60_000 }, () => now);
    kept.keep('old', html(10), false);
    kept.keep('used', html(10), false);
    now += 50_000;
    kept.get('used');
    now += 20_000;
    kept.keep('new', html(10), false);
    expect(kept.get('old')).toBeUndefined();
    expect(kept.get('used')).toBeDefined();
    expect(kept.get('new')).toBeDefined();
    expect(kept.stats.size).toBe(2);
    expect(kept.stats.bytes).toBe(2 * kept.get('new')!.bytes);
  });
});
