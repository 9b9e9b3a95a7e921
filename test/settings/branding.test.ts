import { describe, expect, it } from 'vitest';
import { getSiteSettings } from '../../src/domain/settings/site.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { countRows } from '../helpers/db.ts';
import { signedIn } from '../helpers/people.ts';
import { PNG } from './images.ts';
import { settingsSuite, type Person } from './helpers.ts';

let ctx: TestContext, ada: Person, bob: Person, admin: TestBrowser;
const { audits } = settingsSuite('Bob Customer', async (w) => {
  ({ ctx, ada, other: bob } = w);
  admin = await signedIn(ctx, ada.email);
});
const storedFiles = () => countRows(ctx.db, 'stored_files');

/** Posts the branding form as a browser does (multipart, the CSRF token in `_csrf`), files under their own fields. */
async function postBranding(
  fields: Record<string, string>,
  files: { logo?: { name: string; bytes: Uint8Array }; favicon?: { name: string; bytes: Uint8Array } } = {},
) {
  await admin.get('/admin/platform-settings/branding');
  const form = new FormData();
  form.set('_csrf', admin.csrf);
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  for (const [field, f] of Object.entries(files))
    if (f) form.set(field, new File([new Uint8Array(f.bytes)], f.name, { type: 'image/png' }));
  const cookie = [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await ctx.app.request('/admin/platform-settings/branding', {
    method: 'POST',
    headers: { 'sec-fetch-site': 'same-origin', 'x-forwarded-for': '203.0.113.10', cookie },
    body: form,
  });
  if ((res.headers.get('content-type') ?? '').includes('text/html')) admin.lastHtml = await res.clone().text();
  return res;
}

describe('/admin/platform-settings/branding', () => {
  it('shows the defaults in its section', async () => {
    const res = await admin.get('/admin/platform-settings/branding');
    expect(res.status).toBe(200);
    expect(admin.lastHtml).toContain('id="branding-settings"');
    expect(admin.lastHtml).toContain('enctype="multipart/form-data"');
    expect(admin.lastHtml).toContain('aria-current="page"');
    expect(admin.lastHtml).toContain('<title>Branding · Platform settings · SkyPanel</title>');
  });

  it('saves the name, colour, footer links, logo and favicon; every layout shows them; audited with what changed', async () => {
    const filesBefore = await storedFiles();
    const res = await postBranding(
      {
        brandName: 'Acme Cloud',
        primaryColor: '#0F766E',
        footerLabel_0: 'Status',
        footerUrl_0: '/status',
        footerLabel_2: 'Company',
        footerUrl_2: 'https://example.com/about',
      },
      { logo: { name: 'logo.png', bytes: PNG }, favicon: { name: 'icon.png', bytes: PNG } },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/platform-settings/branding');
    const s = await getSiteSettings(ctx.db);
    expect(s).toMatchObject({
      brandName: 'Acme Cloud',
      primaryColor: '#0f766e',
      footerLinks: [
        { label: 'Status', url: '/status' },
        { label: 'Company', url: 'https://example.com/about' },
      ],
    });
    expect(s.logoFileId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.faviconFileId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await storedFiles()).toBe(filesBefore + 2);
    const [audit] = await audits();
    expect(audit!.actor_user_id).toBe(ada.id);
    expect(audit!.details).toMatchObject({
      setting: 'site',
      changed: 'brand_name, logo, favicon, primary_color, footer_links',
      brand_name: 'Acme Cloud',
      brand_name_before: null,
      primary_color: '#0f766e',
      primary_color_before: null,
    });

    // The admin layout: the logo (alt: the name), the favicon, the colour in a nonce'd <style>, the name in the title.
    const page = await admin.get('/admin');
    const html = await page.text();
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(page.headers.get('content-security-policy')!)![1]!;
    expect(html).toContain('Acme Cloud</title>');
    expect(html).toMatch(/<img src="\/branding\/logo\?v=[0-9a-f]{8}" alt="Acme Cloud"/);
    expect(html).toMatch(/<link rel="icon" href="\/branding\/favicon\?v=[0-9a-f]{8}">/);
    expect(html).toContain(`<style nonce="${nonce}" data-brand-colour>`);
    expect(html).toContain('--color-brand-600:#0f766e');
    // The customer's portal and the public pages carry the name and colour too.
    const customer = await signedIn(ctx, bob.email);
    const portal = await (await customer.get('/dashboard')).text();
    expect(portal).toContain('alt="Acme Cloud"');
    expect(portal).toContain('--color-brand-600:#0f766e');
    const anonymous = await (await ctx.app.request('/login')).text();
    expect(anonymous).toContain('Acme Cloud</title>');
    expect(anonymous).toContain('--color-brand-600:#0f766e');

    // The form shows what is saved.
    await admin.get('/admin/platform-settings/branding');
    expect(admin.lastHtml).toContain('value="Acme Cloud"');
    expect(admin.lastHtml).toContain(
      'name="footerUrl_1" placeholder="https://… or /path" value="https://example.com/about"',
    );
    expect(admin.lastHtml).toContain('name="removeLogo"');
  });

  it('a person with their own colour theme keeps it: the brand colour is drawn for the platform default only', async () => {
    await postBranding({ primaryColor: '#aa3300' });
    const customer = await signedIn(ctx, bob.email);
    expect(await (await customer.get('/dashboard')).text()).toContain('--color-brand-600:#aa3300');
    await ctx.db.updateTable('users').set({ theme: 'violet' }).where('id', '=', bob.id).execute();
    const own = await signedIn(ctx, bob.email);
    const html = await (await own.get('/dashboard')).text();
    expect(html).toContain('data-theme="violet"');
    expect(html).not.toContain('data-brand-colour');
    await ctx.db.updateTable('users').set({ theme: null }).where('id', '=', bob.id).execute();
  });

  it('refuses bad input with 422, the form and what was typed, and changes nothing', async () => {
    const filesBefore = await storedFiles();
    const res = await postBranding({
      brandName: 'Typed name',
      primaryColor: 'red',
      footerLabel_0: 'Evil',
      footerUrl_0: 'javascript:alert(1)',
      footerLabel_1: '',
      footerUrl_1: '//evil.example',
    });
    expect(res.status).toBe(422);
    const html = admin.lastHtml;
    expect(html).toContain('id="branding-settings"');
    expect(html).toContain('id="e-primaryColor"');
    expect(html).toContain('id="e-footerUrl_0"');
    expect(html).toContain('id="e-footerLabel_1"');
    expect(html).toContain('id="e-footerUrl_1"');
    expect(html).toContain('value="Typed name"');
    expect(html).toContain('value="javascript:alert(1)"');
    expect(html).not.toContain('href="javascript:');
    expect(await getSiteSettings(ctx.db)).toMatchObject({ brandName: 'SkyPanel', primaryColor: null, footerLinks: [] });
    expect(await storedFiles()).toBe(filesBefore);
    expect(await audits()).toEqual([]);
  });

  it('refuses a logo that is not an image (an HTML file named logo.png) and an SVG, storing nothing', async () => {
    const filesBefore = await storedFiles();
    const html = new TextEncoder().encode('<!doctype html><html><script>alert(1)</script></html>');
    const res = await postBranding({ brandName: 'Kept' }, { logo: { name: 'logo.png', bytes: html } });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('id="e-logo"');
    expect(admin.lastHtml).toContain('value="Kept"');
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>');
    expect((await postBranding({}, { favicon: { name: 'icon.svg', bytes: svg } })).status).toBe(422);
    expect(admin.lastHtml).toContain('id="e-favicon"');
    // A PDF is a file we store elsewhere, but not an image.
    const pdf = new TextEncoder().encode('%PDF-1.4\n%%EOF');
    expect((await postBranding({}, { logo: { name: 'logo.pdf', bytes: pdf } })).status).toBe(422);
    expect(await storedFiles()).toBe(filesBefore);
    expect(await getSiteSettings(ctx.db)).toMatchObject({
      brandName: 'SkyPanel',
      logoFileId: null,
      faviconFileId: null,
    });
    expect(await audits()).toEqual([]);
  });

  it('serves the logo and favicon with safe, cacheable headers; 404 when unset or removed', async () => {
    expect((await ctx.app.request('/branding/logo')).status).toBe(404);
    expect((await ctx.app.request('/branding/favicon')).status).toBe(404);
    expect((await postBranding({}, { logo: { name: 'logo.png', bytes: PNG } })).status).toBe(303);
    const s = await getSiteSettings(ctx.db);
    const res = await ctx.app.request(`/branding/logo?v=${s.logoFileId!.slice(0, 8)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('cache-control')).toContain('immutable');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PNG);
    const plain = await ctx.app.request('/branding/logo');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=300, must-revalidate');
    const again = await ctx.app.request('/branding/logo', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    // Removed: gone, and its stored file deleted.
    const filesBefore = await storedFiles();
    expect((await postBranding({ removeLogo: 'on' })).status).toBe(303);
    expect((await getSiteSettings(ctx.db)).logoFileId).toBeNull();
    expect(await storedFiles()).toBe(filesBefore - 1);
    expect((await ctx.app.request('/branding/logo')).status).toBe(404);
  });

  it('does not exist for customers (404)', async () => {
    const customer = await signedIn(ctx, bob.email);
    expect((await customer.get('/admin/platform-settings/branding')).status).toBe(404);
    expect((await customer.post('/admin/platform-settings/branding', { brandName: 'Mine' })).status).toBe(404);
    expect((await getSiteSettings(ctx.db)).brandName).toBe('SkyPanel');
  });
});
