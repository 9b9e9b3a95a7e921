import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putSetting } from '../../src/domain/settings/store.ts';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import { formatMoney } from '../../src/lib/money.ts';
import { absoluteUrl } from '../../src/web/render.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { seedServerCatalogue, type SeededCatalogue } from '../helpers/servers.ts';

/**
 * Issue 16 item 1: the storefront (home, pricing, regions) shows the live catalogue — plans
 * with the customer's hourly and monthly prices, specs, transfer, the backups add-on, regions
 * by city and country — and nothing else: no providers, no costs or markups, no business
 * figures. An empty catalogue is said honestly. Item 3: each page has its title, description,
 * canonical URL (PUBLIC_URL, never the Host header) and Open Graph tags.
 */

const PUBLIC_URL = 'https://cloud.example.test';
let ctx: TestContext;
let catalogue: SeededCatalogue;
const visitor = () => new TestBrowser(ctx.app, '203.0.113.120');
const text = async (path: string) => {
  const res = await ctx.app.request(path, { headers: { 'x-forwarded-for': '203.0.113.121' } });
  expect(res.status, path).toBe(200);
  return res.text();
};
const rate = (monthly: bigint) => formatMoney(hourlyRate(monthly), 'USD', 4);
const money = (micros: bigint) => formatMoney(micros, 'USD');

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL });
});
afterAll(() => ctx?.close());

describe('with nothing on sale', () => {
  it('says so on every page instead of failing', async () => {
    expect(await text('/')).toContain('No server plans are on sale right now.');
    expect(await text('/pricing')).toContain('No server plans are on sale right now.');
    expect(await text('/regions')).toContain('No regions are open right now.');
  });
});

describe('with a catalogue', () => {
  beforeAll(async () => {
    catalogue = await seedServerCatalogue(ctx.db);
  });

  it('home: a plans teaser with hourly and monthly prices, the regions, and calls to action', async () => {
    const html = await text('/');
    const { small, dedicated } = catalogue.plans;
    const teaser = /data-testid="plans-teaser">([\s\S]*?)<\/ul>\s*<\/section>/.exec(html)![1]!;
    // The cheapest plan of each category: Small (Shared CPU) and Dedicated.
    for (const p of [small, dedicated]) {
      expect(teaser).toContain(p.name);
      expect(teaser).toContain(`${money(p.monthly)}</span>`);
      expect(teaser).toContain(`${rate(p.monthly)}/hour`);
    }
    expect(html).toContain(`Servers from ${rate(small.monthly)}/hour`);
    expect(html).toContain('data-testid="catalogue-facts">3 plans · 3 regions · billed by the hour</p>');
    for (const region of ['New York, United States', 'Frankfurt, Germany', 'Singapore, Singapore'])
      expect(html).toContain(region);
    expect(html).toContain('href="/register"');
    expect(html).toContain('href="/pricing"');
    expect(html).toContain('Hourly billing');
  });

  it('pricing: every plan by category with specs, transfer, hourly and monthly prices and the backups add-on; regions', async () => {
    const html = await text('/pricing');
    const sections = html.split('data-testid="pricing-category"').slice(1);
    expect(sections.map((s) => /<h2[^>]*>([^<]+)<\/h2>/.exec(s)![1])).toEqual(['Shared CPU', 'Dedicated CPU']);
    const row = (name: string) => {
      const m = new RegExp(`<tr data-testid="plan-row">\\s*<th scope="row"[^>]*>${name}[\\s\\S]*?</tr>`).exec(html);
      expect(m, name).not.toBeNull();
      return m![0];
    };
    const { small, medium, dedicated } = catalogue.plans;
    const smallRow = row(small.name);
    expect(smallRow).toContain('New York, Frankfurt, Singapore');
    expect(smallRow).toMatch(/>1<\/td>\s*<td[^>]*>2 GB<\/td>\s*<td[^>]*>50 GB<\/td>\s*<td[^>]*>2 TB<\/td>/);
    for (const p of [small, medium, dedicated]) {
      const r = row(p.name);
      expect(r).toContain(`data-hourly>${rate(p.monthly)}</td>`);
      expect(r).toContain(`data-monthly>${money(p.monthly)}</td>`);
      expect(r).toContain(`+${money(p.backupsMonthly)}/month`);
      // With backups, the hourly rate is the sum's, rounded once (BILLING.md).
      expect(r).toContain(`with backups ${rate(p.monthly + p.backupsMonthly)}/hour`);
    }
    expect(rate(small.monthly)).toBe('$0.0205');
    expect(sections[0]!.indexOf(small.name)).toBeLessThan(sections[0]!.indexOf(medium.name));
    expect(sections[1]).toContain(dedicated.name);
    expect(html).toContain('Frankfurt, Germany');
  });

  it('regions: every offered region with its city and country, linking to the status page', async () => {
    const html = await text('/regions');
    const cards = html.split('data-testid="region"').slice(1);
    expect(cards.map((c) => /<h2[^>]*>([^<]+)<\/h2>/.exec(c)![1])).toEqual(['New York', 'Frankfurt', 'Singapore']);
    expect(cards[1]).toContain('Germany');
    for (const c of cards) expect(c).toContain('href="/status"');
  });

  it('shows only what the catalogue publishes: no provider, type id, cost, markup or business figure', async () => {
    const { small } = catalogue.plans;
    const base = await ctx.db
      .selectFrom('server_plan_prices')
      .select(['base_monthly', 'markup_monthly'])
      .where('plan_id', '=', small.id)
      .executeTakeFirstOrThrow();
    await createPerson(ctx, 'Paying Customer', { verified: true, email: uniqueEmail('Paying Customer') });
    for (const path of ['/', '/pricing', '/regions']) {
      const html = await text(path);
      expect(html, path).not.toContain('Test cloud');
      expect(html, path).not.toContain(small.providerType);
      expect(html, path).not.toContain(catalogue.providerId);
      expect(html, path).not.toContain(small.id);
      expect(html, path).not.toContain(`${money(base.base_monthly)}/`);
      expect(html, path).not.toContain(`>${money(base.markup_monthly)}<`);
      expect(html, path).not.toMatch(/revenue|customers|sign-?ups|active servers|arrears/i);
    }
  });

  it('follows price changes and hides plans taken off sale', async () => {
    const { medium } = catalogue.plans;
    await ctx.db.updateTable('server_plans').set({ active: false }).where('id', '=', medium.id).execute();
    expect(await text('/pricing')).not.toContain(medium.name);
    await ctx.db.updateTable('server_plans').set({ active: true }).where('id', '=', medium.id).execute();
    expect(await text('/pricing')).toContain(medium.name);
  });
});

describe('meta tags (item 3)', () => {
  it('each page has its own title and description, a canonical URL on PUBLIC_URL, and Open Graph tags', async () => {
    const pages = {
      '/': 'Cloud servers, billed by the hour',
      '/pricing': 'Pricing',
      '/regions': 'Regions',
    };
    const descriptions = new Set<string>();
    for (const [path, title] of Object.entries(pages)) {
      const html = await text(path);
      expect(html).toContain(`<title>${title} · SkyPanel</title>`);
      const description = /<meta name="description" content="([^"]+)">/.exec(html)?.[1];
      expect(description, path).toBeTruthy();
      descriptions.add(description!);
      expect(html).toContain(`<link rel="canonical" href="${PUBLIC_URL}${path}">`);
      expect(html).toContain(`<meta property="og:url" content="${PUBLIC_URL}${path}">`);
      expect(html).toContain(`<meta property="og:title" content="${title}">`);
      expect(html).toContain(`<meta property="og:description" content="${description}">`);
      expect(html).toContain('<meta property="og:type" content="website">');
      expect(html).toContain('<meta property="og:site_name" content="SkyPanel">');
    }
    expect(descriptions.size).toBe(3);
  });

  it('never takes the canonical URL from the Host header', async () => {
    const res = await ctx.app.request('/pricing', {
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-for': '203.0.113.122' },
    });
    const html = await res.text();
    expect(html).toContain(`<link rel="canonical" href="${PUBLIC_URL}/pricing">`);
    expect(html).not.toContain('evil.example');
  });

  it('makes the Open Graph image absolute on PUBLIC_URL, keeps an http(s) one, and drops anything else', () => {
    expect(absoluteUrl(PUBLIC_URL, '/blog/images/1.png')).toBe(`${PUBLIC_URL}/blog/images/1.png`);
    expect(absoluteUrl(PUBLIC_URL, 'https://cdn.example.test/a.png')).toBe('https://cdn.example.test/a.png');
    for (const bad of ['//evil.example/a.png', 'javascript:alert(1)', 'data:image/png;base64,AA', 'a.png', undefined])
      expect(absoluteUrl(PUBLIC_URL, bad), String(bad)).toBeNull();
  });

  it('an error page has no canonical URL', async () => {
    const res = await ctx.app.request('/no-such-page', { headers: { 'x-forwarded-for': '203.0.113.123' } });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('rel="canonical"');
  });
});

describe('the public layout', () => {
  it('links the whole site, opens its menu on small screens without JavaScript, and has a footer', async () => {
    const browser = visitor();
    await browser.get('/pricing');
    const html = browser.lastHtml;
    const mobile = /<details[^>]*data-testid="mobile-nav">([\s\S]*?)<\/details>/.exec(html)![1]!;
    for (const href of ['/pricing', '/regions', '/docs', '/blog', '/status', '/contact', '/login', '/register']) {
      expect(mobile, href).toContain(`href="${href}"`);
      expect(html).toContain(`href="${href}"`);
    }
    expect(mobile).toContain('<summary');
    expect(html).toMatch(/href="\/pricing" aria-current="page"/);
    const footer = /data-testid="footer-links">([\s\S]*?)<\/ul>/.exec(html)![1]!;
    for (const href of ['/about', '/terms', '/privacy', '/faq', '/api-docs', '/status'])
      expect(footer, href).toContain(`href="${href}"`);
  });

  it('shows the footer links an admin set, and only safe ones', async () => {
    await putSetting(
      ctx.db,
      'site',
      {
        footerLinks: [
          { label: 'Careers', url: 'https://jobs.example.test/' },
          { label: 'Imprint', url: '/pages/imprint' },
        ],
      },
      null,
      new Date(),
    );
    let footer = '';
    for (let i = 0; i < 50 && !footer.includes('Careers'); i++) {
      footer = /data-testid="footer-links">([\s\S]*?)<\/ul>/.exec(await text('/regions'))![1]!;
      if (!footer.includes('Careers')) await new Promise((r) => setTimeout(r, 20));
    }
    expect(footer).toContain('<a class="hover:underline" href="https://jobs.example.test/" rel="noopener">Careers</a>');
    expect(footer).toContain('href="/pages/imprint">Imprint</a>');
  });

  it('offers the dashboard instead of sign-in to a signed-in person', async () => {
    const olive = await createPerson(ctx, 'Olive Owner', { verified: true, email: uniqueEmail('Olive Owner') });
    const browser = await signedIn(ctx, olive.email);
    await browser.get('/pricing');
    expect(browser.lastHtml).toContain('<a class="btn btn-primary" href="/dashboard">Dashboard</a>');
    expect(browser.lastHtml).not.toContain('href="/login"');
  });
});
