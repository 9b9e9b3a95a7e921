import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getPlatformSettings } from '../../src/domain/settings/platform.ts';
import { THEMES } from '../../src/domain/settings/themes.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';

/**
 * Colour themes (issue 16 item 7): a person's own preset on Settings → Appearance, the
 * platform default on Platform settings, and the preset every page is drawn in (the pre-paint
 * script's data-theme, which it puts on <html>), over real HTTP and PostgreSQL.
 */
let ctx: TestContext;
let ada: Awaited<ReturnType<typeof createPerson>>;
let olive: Awaited<ReturnType<typeof createPerson>>;
let admin: TestBrowser;
let customer: TestBrowser;

beforeAll(async () => {
  ctx = await createTestContext();
  ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  olive = await createPerson(ctx, 'Olive Owner', { verified: true, email: uniqueEmail('Olive Owner') });
  admin = await signedIn(ctx, ada.email);
  customer = await signedIn(ctx, olive.email);
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('platform_settings').execute();
  await ctx.db.updateTable('users').set({ theme: null }).execute();
});

/** The preset a page is drawn in: <html data-theme> as served (so without JavaScript too), which the pre-paint script agrees with. */
const themeOf = (html: string) => {
  const served = /<html lang="en"[^>]* data-theme="([a-z]+)"/.exec(html)?.[1] ?? null;
  // nonce="" on a page shared caches keep (middleware/public-cache.ts): its CSP allows the script by hash.
  const m =
    /<script nonce="[^"]*" data-theme="([a-z]+)">\s*\(function \(\) \{\s*var root = document\.documentElement;\s*root\.setAttribute\('data-theme'/.exec(
      html,
    );
  expect(m?.[1] ?? null, 'the pre-paint script carries the served theme').toBe(served);
  return served;
};
const storedTheme = async (id: string) =>
  (await ctx.db.selectFrom('users').select('theme').where('id', '=', id).executeTakeFirstOrThrow()).theme;
const setDefault = async (defaultTheme: string) => {
  await admin.get('/admin/platform-settings');
  return admin.post('/admin/platform-settings', { maintenanceMessage: '', registrationEnabled: 'on', defaultTheme });
};
const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 50 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
};

describe('the preset pages are drawn in', () => {
  it('is the platform default for visitors: sky until an admin picks another', async () => {
    const visitor = new TestBrowser(ctx.app, '203.0.113.80');
    await visitor.get('/login');
    expect(themeOf(visitor.lastHtml)).toBe('sky');

    expect((await setDefault('emerald')).status).toBe(303);
    // The settings are cached per process; the platform_settings trigger tells the cache.
    await until(async () => (await visitor.get('/login'), themeOf(visitor.lastHtml) === 'emerald'));
    expect(themeOf(visitor.lastHtml)).toBe('emerald');
    await visitor.get('/');
    expect(themeOf(visitor.lastHtml)).toBe('emerald');
  });

  it('is the person\'s own choice once saved, on every page, and the platform default again after "Platform default"', async () => {
    await customer.get('/settings/appearance');
    expect(customer.lastHtml).toContain('<title>Appearance · SkyPanel</title>');
    expect(customer.lastHtml).toMatch(/name="theme" value="platform" checked/);
    for (const t of THEMES) expect(customer.lastHtml).toContain(`name="theme" value="${t.id}"`);
    expect(customer.lastHtml).toContain('href="/settings/appearance" class="tab tab-active" aria-current="page"');

    const res = await customer.post('/settings/appearance', { theme: 'rose' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/settings/appearance');
    expect(await storedTheme(olive.id)).toBe('rose');
    await customer.get('/settings/appearance');
    expect(customer.lastHtml).toContain('Your colour theme is saved.');
    expect(customer.lastHtml).toMatch(/name="theme" value="rose" checked/);
    expect(themeOf(customer.lastHtml)).toBe('rose');
    await customer.get('/dashboard');
    expect(themeOf(customer.lastHtml)).toBe('rose');

    // Someone else (and the admin's platform default) is not affected.
    await setDefault('teal');
    await admin.get('/admin/platform-settings');
    await until(async () => (await admin.get('/admin'), themeOf(admin.lastHtml) === 'teal'));
    expect(themeOf(admin.lastHtml)).toBe('teal');
    await customer.get('/dashboard');
    expect(themeOf(customer.lastHtml)).toBe('rose');

    // Back to the platform default: stored as null, drawn in teal.
    await customer.get('/settings/appearance');
    expect((await customer.post('/settings/appearance', { theme: 'platform' })).status).toBe(303);
    expect(await storedTheme(olive.id)).toBeNull();
    await customer.get('/settings/appearance');
    expect(themeOf(customer.lastHtml)).toBe('teal');
    expect(customer.lastHtml).toMatch(/name="theme" value="platform" checked/);
    expect(customer.lastHtml).toContain('Platform default (Teal)');
  });

  it('refuses a preset that does not exist with 422 and the form, and keeps the saved one', async () => {
    await customer.get('/settings/appearance');
    await customer.post('/settings/appearance', { theme: 'violet' });
    await customer.get('/settings/appearance');
    for (const theme of ['neon', '', '<script>']) {
      const res = await customer.post('/settings/appearance', { theme });
      expect(res.status, theme).toBe(422);
      expect(customer.lastHtml).toContain('<form method="post" action="/settings/appearance"');
      expect(customer.lastHtml).toContain('Choose one of the listed colour themes.');
      expect(customer.lastHtml).toContain('class="field-error" id="e-theme"');
      expect(customer.lastHtml).not.toContain('<script>"');
    }
    const res = await customer.post('/settings/appearance', {});
    expect(res.status).toBe(422);
    expect(await storedTheme(olive.id)).toBe('violet');
  });
});

describe('the platform default on /admin/platform-settings', () => {
  it('is offered with every preset, saved and audited', async () => {
    await admin.get('/admin/platform-settings');
    expect(admin.lastHtml).toContain('name="defaultTheme"');
    expect(admin.lastHtml).toMatch(/<option value="sky" selected>/);
    for (const t of THEMES) expect(admin.lastHtml).toContain(`<option value="${t.id}"`);

    const res = await setDefault('amber');
    expect(res.status).toBe(303);
    expect((await getPlatformSettings(ctx.db)).defaultTheme).toBe('amber');
    await admin.get('/admin/platform-settings');
    expect(admin.lastHtml).toMatch(/<option value="amber" selected>/);
    const audits = await ctx.db
      .selectFrom('activity_log')
      .select('details')
      .where('action', '=', 'admin.settings_updated')
      .where('actor_user_id', '=', ada.id)
      .execute();
    expect(audits.map((a) => a.details)).toContainEqual(
      expect.objectContaining({ changed: 'default_theme', default_theme: 'amber', default_theme_before: 'sky' }),
    );

    // A form (or script) without the field leaves it as it is.
    await admin.post('/admin/platform-settings', { maintenanceMessage: '', registrationEnabled: 'on' });
    expect((await getPlatformSettings(ctx.db)).defaultTheme).toBe('amber');
  });

  it('refuses an unknown preset with 422, the form and what was typed', async () => {
    await admin.get('/admin/platform-settings');
    const res = await admin.post('/admin/platform-settings', {
      maintenanceMessage: 'Typed and kept.',
      registrationEnabled: 'on',
      defaultTheme: 'neon',
    });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('id="f-defaultTheme" name="defaultTheme"');
    expect(admin.lastHtml).toContain('Choose one of the listed colour themes.');
    expect(admin.lastHtml).toContain('Typed and kept.');
    expect((await getPlatformSettings(ctx.db)).defaultTheme).toBe('sky');
  });
});

describe('content security policy', () => {
  it('stays strict: the theme comes from a nonce’d script, no inline style anywhere', async () => {
    await customer.get('/settings/appearance');
    await customer.post('/settings/appearance', { theme: 'indigo' });
    for (const [browser, path] of [
      [customer, '/settings/appearance'],
      [customer, '/dashboard'],
      [new TestBrowser(ctx.app, '203.0.113.81'), '/login'],
    ] as const) {
      const res = await browser.get(path);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
      const html = browser.lastHtml;
      for (const tag of html.match(/<script[^>]*>/g)!) expect(tag, path).toContain(`nonce="${nonce}"`);
      expect(html, path).not.toMatch(/\sstyle="|<style/);
      expect(themeOf(html), path).toBeTruthy();
    }
  });
});
