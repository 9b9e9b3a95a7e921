import { Hono, type Context } from 'hono';
import { getBillingValues, updateBillingValues, type BillingValues } from '../../../domain/settings/billing-policy.ts';
import {
  getPlatformSettings,
  parsePlatformSettingsForm,
  updatePlatformSettings,
  type PlatformSettings,
} from '../../../domain/settings/platform.ts';
import { IMAGE_ACCEPT, updateSiteSettings, type SiteSettingsChange } from '../../../domain/settings/site-admin.ts';
import { MAX_FOOTER_LINKS, siteSettings, type FooterLink, type SiteSettings } from '../../../domain/settings/site.ts';
import { THEMES } from '../../../domain/settings/themes.ts';
import { toDecimal } from '../../../lib/money.ts';
import { actorOf } from '../../actor.ts';
import { formFiles } from '../../attachments.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;
const title = 'Platform settings';
const region = { id: 'platform-settings', partial: 'admin/platform-settings/_form' };

/** The screen's sections (views/admin/platform-settings/_tabs.eta). */
export const SECTIONS = [
  { path: '/admin/platform-settings', label: 'General' },
  { path: '/admin/platform-settings/branding', label: 'Branding' },
  { path: '/admin/platform-settings/business', label: 'Support and invoices' },
  { path: '/admin/platform-settings/billing', label: 'Billing' },
] as const;

/** A planned end as the form's `datetime-local` field shows it: UTC, to the minute. */
const utcMinute = (d: Date | null) => (d ? d.toISOString().slice(0, 16) : '');

function formValues(s: PlatformSettings): Record<string, string> {
  return {
    maintenanceEnabled: s.maintenance.enabled ? 'on' : '',
    maintenanceMessage: s.maintenance.message,
    maintenancePlannedEnd: utcMinute(s.maintenance.plannedEnd),
    registrationEnabled: s.registrationEnabled ? 'on' : '',
    defaultTheme: s.defaultTheme,
    webhookLoopbackAllowed: s.webhookLoopbackAllowed ? 'on' : '',
  };
}

/** The branding form's fields: footer links as rows `footerLabel_<n>` / `footerUrl_<n>`. */
function brandingValues(s: SiteSettings, brandDefault: string): Record<string, string> {
  const v: Record<string, string> = {
    brandName: s.brandName === brandDefault ? '' : s.brandName,
    primaryColor: s.primaryColor ?? '',
  };
  s.footerLinks.forEach((l, i) => {
    v[`footerLabel_${i}`] = l.label;
    v[`footerUrl_${i}`] = l.url;
  });
  return v;
}

/** The filled footer rows, in order, renumbered from 0 (so the domain's `footerLinks.<i>` errors meet their row). */
function footerRows(values: Record<string, string>): { links: FooterLink[]; values: Record<string, string> } {
  const links: FooterLink[] = [];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (!/^footer(Label|Url)_\d+$/.test(k)) out[k] = v;
  for (let i = 0; i < 50; i++) {
    const label = (values[`footerLabel_${i}`] ?? '').trim();
    const url = (values[`footerUrl_${i}`] ?? '').trim();
    if (!label && !url) continue;
    out[`footerLabel_${links.length}`] = label;
    out[`footerUrl_${links.length}`] = url;
    links.push({ label, url });
  }
  return { links, values: out };
}

function businessValues(s: SiteSettings): Record<string, string> {
  return {
    supportEmail: s.supportEmail ?? '',
    businessHours: s.businessHours,
    sellerName: s.seller.name,
    sellerAddress: s.seller.address,
    sellerTaxId: s.seller.taxId,
    sellerEmail: s.seller.email,
  };
}

function billingValues(b: BillingValues): Record<string, string> {
  return {
    topUpMin: toDecimal(b.topUpMin),
    topUpMax: toDecimal(b.topUpMax),
    topUpPresets: b.topUpPresets.map((p) => toDecimal(p)).join(', '),
    lowBalanceThreshold: toDecimal(b.lowBalanceThreshold),
    dunningSuspendAfterHours: String(b.dunningSuspendAfterHours),
    dunningTerminateAfterDays: String(b.dunningTerminateAfterDays),
  };
}

/**
 * /admin/platform-settings: maintenance mode (on/off, the message customers read, the planned
 * end), the registration switch, the default theme and webhooks to loopback (development only); its sections /branding (name, logo,
 * favicon, colour, footer links), /business (support address, business hours, the seller on
 * invoices) and /billing (top-up limits and presets, low-balance threshold, dunning periods).
 * Bad input answers 422 with the form and what was typed; a save is audited as
 * `admin.settings_updated` with what changed. While maintenance is on, layouts that include
 * views/shared/_maintenance_banner.eta say so (GET /maintenance/banner).
 */
export function platformSettingsPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const brandDefault = deps.config.BRAND_NAME;
  const common = (c: Context) => ({ sections: SECTIONS, path: c.req.path.replace(/\/$/, '') || '/' });

  app.get('/', async (c) => {
    const s = await getPlatformSettings(deps.db);
    return view.page(
      c,
      'admin/platform-settings/index',
      { ...common(c), values: formValues(s), errors: {}, message: null, current: s, themes: THEMES },
      { layout, title, region },
    );
  });

  app.post('/', async (c) => {
    const values = await formData(c);
    const current = await getPlatformSettings(deps.db);
    const options = { layout, title, region };
    return submitForm(
      c,
      view,
      { template: 'admin/platform-settings/index', values, data: { ...common(c), current, themes: THEMES }, options },
      async () => {
        const s = await updatePlatformSettings(deps, actorOf(c), parsePlatformSettingsForm(values));
        flash(
          c,
          s.maintenance.enabled
            ? 'Platform settings saved. Maintenance mode is on: customers cannot make changes.'
            : 'Platform settings saved.',
        );
        return redirect(c, '/admin/platform-settings');
      },
    );
  });

  // Branding: multipart (logo and favicon files) with the CSRF token in the form.
  const brandingOptions = { layout, title: 'Branding · Platform settings' };
  const brandingData = async (c: Context) => {
    const s = await siteSettings({ db: deps.db, config: deps.config });
    return { ...common(c), current: s, brandDefault, maxLinks: MAX_FOOTER_LINKS, accept: IMAGE_ACCEPT };
  };

  app.get('/branding', async (c) => {
    const data = await brandingData(c);
    return view.page(
      c,
      'admin/platform-settings/branding',
      { ...data, values: brandingValues(data.current, brandDefault), errors: {}, message: null },
      brandingOptions,
    );
  });

  app.post('/branding', async (c) => {
    const raw = await formData(c);
    const { links, values } = footerRows(raw);
    const [logo] = await formFiles(c, 'logo');
    const [favicon] = await formFiles(c, 'favicon');
    const change: SiteSettingsChange = {
      brandName: values.brandName ?? '',
      primaryColor: values.primaryColor ?? '',
      footerLinks: links,
      ...(logo ? { logo } : values.removeLogo === 'on' ? { logo: null } : {}),
      ...(favicon ? { favicon } : values.removeFavicon === 'on' ? { favicon: null } : {}),
    };
    // The rows' errors come as `footerLinks.<i>.label|url` (the template reads them so).
    return submitForm(
      c,
      view,
      { template: 'admin/platform-settings/branding', values, data: await brandingData(c), options: brandingOptions },
      async () => {
        await updateSiteSettings(deps, actorOf(c), change);
        flash(c, 'Branding saved.');
        return redirect(c, '/admin/platform-settings/branding');
      },
    );
  });

  const businessOptions = { layout, title: 'Support and invoices · Platform settings' };
  app.get('/business', async (c) => {
    const s = await siteSettings({ db: deps.db, config: deps.config });
    return view.page(
      c,
      'admin/platform-settings/business',
      { ...common(c), values: businessValues(s), errors: {}, message: null },
      businessOptions,
    );
  });

  app.post('/business', async (c) => {
    const values = await formData(c);
    return submitForm(
      c,
      view,
      { template: 'admin/platform-settings/business', values, data: common(c), options: businessOptions },
      async () => {
        await updateSiteSettings(deps, actorOf(c), {
          supportEmail: values.supportEmail ?? '',
          businessHours: values.businessHours ?? '',
          seller: {
            name: values.sellerName ?? '',
            address: values.sellerAddress ?? '',
            taxId: values.sellerTaxId ?? '',
            email: values.sellerEmail ?? '',
          },
        });
        flash(c, 'Support and invoice details saved.');
        return redirect(c, '/admin/platform-settings/business');
      },
    );
  });

  const billingOptions = { layout, title: 'Billing · Platform settings' };
  const billingData = (c: Context) => ({
    ...common(c),
    currency: deps.config.BILLING_CURRENCY,
    env: {
      lowBalanceThreshold: toDecimal(deps.config.lowBalanceThreshold),
      dunningSuspendAfterHours: deps.config.DUNNING_SUSPEND_AFTER_HOURS,
      dunningTerminateAfterDays: deps.config.DUNNING_TERMINATE_AFTER_DAYS,
    },
  });
  app.get('/billing', async (c) => {
    const b = await getBillingValues(deps.db, deps.config);
    return view.page(
      c,
      'admin/platform-settings/billing',
      { ...billingData(c), values: billingValues(b), errors: {}, message: null },
      billingOptions,
    );
  });

  app.post('/billing', async (c) => {
    const values = await formData(c);
    return submitForm(
      c,
      view,
      { template: 'admin/platform-settings/billing', values, data: billingData(c), options: billingOptions },
      async () => {
        await updateBillingValues(deps, actorOf(c), {
          topUpMin: values.topUpMin ?? '',
          topUpMax: values.topUpMax ?? '',
          topUpPresets: (values.topUpPresets ?? '').split(/[,;\s]+/),
          lowBalanceThreshold: values.lowBalanceThreshold ?? '',
          dunningSuspendAfterHours: values.dunningSuspendAfterHours ?? '',
          dunningTerminateAfterDays: values.dunningTerminateAfterDays ?? '',
        });
        flash(c, 'Billing settings saved.');
        return redirect(c, '/admin/platform-settings/billing');
      },
    );
  });

  return app;
}
