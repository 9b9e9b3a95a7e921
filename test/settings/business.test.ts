import { describe, expect, it } from 'vitest';
import { getSiteSettings } from '../../src/domain/settings/site.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { pdfText, topUp } from '../invoices/fixtures.ts';
import { settingsSuite, type Person } from './helpers.ts';

/** Platform settings → Support and invoices: the support address, business hours and the seller on invoices. */
let ctx: TestContext, ada: Person, ann: Person, admin: TestBrowser;
const { auditDetails: audits } = settingsSuite('Ann Invoice', async (w) => {
  ({ ctx, ada, other: ann } = w);
  admin = await signedIn(ctx, ada.email);
});

const form = (over: Record<string, string> = {}) => ({
  supportEmail: 'help@acme.example',
  businessHours: 'Monday to Friday\r\n09:00–17:00 UTC',
  sellerName: 'Acme Cloud Ltd',
  sellerAddress: '1 Example Street\r\nLondon',
  sellerTaxId: 'GB123456789',
  sellerEmail: 'billing@acme.example',
  ...over,
});

describe('/admin/platform-settings/business', () => {
  it('saves the support details and the seller, audited with what changed; new invoices print the seller (HTML and PDF)', async () => {
    await admin.get('/admin/platform-settings/business');
    expect(admin.lastHtml).toContain('id="business-settings"');
    const res = await admin.post('/admin/platform-settings/business', form());
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/platform-settings/business');
    expect(await getSiteSettings(ctx.db)).toMatchObject({
      supportEmail: 'help@acme.example',
      businessHours: 'Monday to Friday\n09:00–17:00 UTC',
      seller: {
        name: 'Acme Cloud Ltd',
        address: '1 Example Street\nLondon',
        taxId: 'GB123456789',
        email: 'billing@acme.example',
      },
    });
    const [audit] = await audits();
    expect(audit).toMatchObject({
      setting: 'site',
      changed: 'support_email, business_hours, seller_name, seller_address, seller_tax_id, seller_email',
      seller_name: 'Acme Cloud Ltd',
      seller_name_before: '',
    });
    await admin.get('/admin/platform-settings/business');
    expect(admin.lastHtml).toContain('value="help@acme.example"');
    expect(admin.lastHtml).toContain('1 Example Street\nLondon</textarea>');

    const { invoice } = await topUp(ctx.deps, ann.organization.id, 10_000_000n);
    const customer = await signedIn(ctx, ann.email);
    await customer.get(`/invoices/${invoice.id}`);
    for (const t of ['Acme Cloud Ltd', '1 Example Street\nLondon', 'Tax ID: GB123456789', 'billing@acme.example'])
      expect(customer.lastHtml).toContain(t);
    const pdf = await customer.get(`/invoices/${invoice.id}/pdf`);
    const text = pdfText(new Uint8Array(await pdf.arrayBuffer()));
    for (const t of ['Acme Cloud Ltd', 'London', 'Tax ID: GB123456789', 'billing@acme.example'])
      expect(text).toContain(t);
  });

  it('without a seller name, invoices carry the brand name staff set', async () => {
    await ctx.db
      .insertInto('platform_settings')
      .values({ key: 'site', value: JSON.stringify({ brandName: 'Acme Cloud' }) })
      .execute();
    const { invoice } = await topUp(ctx.deps, ann.organization.id, 5_000_000n);
    const row = await ctx.db
      .selectFrom('invoices')
      .select('seller')
      .where('id', '=', invoice.id)
      .executeTakeFirstOrThrow();
    expect(row.seller).toMatchObject({ name: 'Acme Cloud', address: null, tax_id: null, email: null });
  });

  it('refuses bad input with 422, the form and what was typed, and changes nothing', async () => {
    await admin.get('/admin/platform-settings/business');
    for (const [values, field] of [
      [{ supportEmail: 'not an address' }, 'supportEmail'],
      [{ sellerEmail: 'billing at acme' }, 'sellerEmail'],
      [{ businessHours: 'x'.repeat(501) }, 'businessHours'],
      [{ sellerTaxId: 'x'.repeat(61) }, 'sellerTaxId'],
    ] as const) {
      const res = await admin.post('/admin/platform-settings/business', form(values));
      expect(res.status).toBe(422);
      expect(admin.lastHtml).toContain('id="business-settings"');
      expect(admin.lastHtml).toContain(`id="e-${field}"`);
      expect(admin.lastHtml).toContain('Acme Cloud Ltd');
    }
    expect(await getSiteSettings(ctx.db)).toMatchObject({ supportEmail: null, seller: { name: '' } });
    expect(await audits()).toEqual([]);
  });

  it('does not exist for customers (404)', async () => {
    const customer = await signedIn(ctx, ann.email);
    expect((await customer.get('/admin/platform-settings/business')).status).toBe(404);
    expect((await customer.get('/admin/platform-settings/billing')).status).toBe(404);
  });
});
