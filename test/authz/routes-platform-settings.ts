import { getBillingPolicy } from '../../src/domain/settings/billing-policy.ts';
import { getPlatformSettings } from '../../src/domain/settings/platform.ts';
import { getSiteSettings } from '../../src/domain/settings/site.ts';
import type { Body, Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for platform settings (issue 16 item 6), spread into ROUTES by
 * routes.ts: the maintenance page, the staff screen and the staff API. Other entries write
 * while these run, so no call here turns maintenance on or closes registration: the writes
 * save maintenance off and registration open (test/settings/** tests the switches themselves).
 * Likewise the branding, support and billing writes keep the brand name, colour, images,
 * seller, limits, presets and dunning periods as they are (other entries read pages titled
 * "… · SkyPanel"): they change a footer link, the business hours and the low-balance threshold.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
/** The settings were saved, maintenance off and registration open (what every write here sends). */
const savedOpen = async (c: Call, message: string) => {
  const stored = await c.fx.ctx.db
    .selectFrom('platform_settings')
    .select('value')
    .where('key', '=', 'platform')
    .executeTakeFirst();
  const s = await getPlatformSettings(c.fx.ctx.db);
  return problem(
    !!stored && !s.maintenance.enabled && s.registrationEnabled && message.length > 0,
    'the settings were not saved (maintenance off, registration open)',
  );
};

const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});

export const PLATFORM_SETTINGS_ROUTES: Record<string, Requirement> = {
  // Where an htmx write refused during maintenance lands; with maintenance off it says so.
  'GET /maintenance': { auth: 'public', done: page('No maintenance', 'No maintenance in progress') },

  // The staff screen.
  'GET /admin/platform-settings': {
    auth: 'admin',
    done: page('Platform settings', 'name="maintenanceEnabled"', 'name="registrationEnabled"'),
  },
  'POST /admin/platform-settings': {
    auth: 'admin',
    setup: async () => ({ message: `Matrix maintenance ${u()}` }),
    body: (c) => ({
      maintenanceMessage: c.made.message!,
      maintenancePlannedEnd: '',
      registrationEnabled: 'on',
    }),
    done: (c) => ({
      status: 303,
      location: '/admin/platform-settings',
      effect: () => savedOpen(c, c.made.message!),
    }),
  },
  // Its sections.
  'GET /admin/platform-settings/branding': {
    auth: 'admin',
    done: page('Branding · Platform settings', 'enctype="multipart/form-data"', 'name="primaryColor"'),
  },
  'POST /admin/platform-settings/branding': {
    auth: 'admin',
    setup: async () => ({ label: `Matrix ${u()}` }),
    body: (c) => ({ brandName: '', primaryColor: '', footerLabel_0: c.made.label!, footerUrl_0: '/status' }),
    done: (c) => ({
      status: 303,
      location: '/admin/platform-settings/branding',
      effect: async () => {
        const s = await getSiteSettings(c.fx.ctx.db);
        return problem(
          s.footerLinks.some((l) => l.label === c.made.label) && s.brandName === 'SkyPanel' && !s.primaryColor,
          'the footer link was not saved (brand unchanged)',
        );
      },
    }),
  },
  'GET /admin/platform-settings/business': {
    auth: 'admin',
    done: page('Support and invoices · Platform settings', 'name="supportEmail"', 'name="sellerAddress"'),
  },
  'POST /admin/platform-settings/business': {
    auth: 'admin',
    setup: async () => ({ hours: `Matrix hours ${u()}` }),
    body: (c) => ({
      supportEmail: '',
      businessHours: c.made.hours!,
      sellerName: '',
      sellerAddress: '',
      sellerTaxId: '',
      sellerEmail: '',
    }),
    done: (c) => ({
      status: 303,
      location: '/admin/platform-settings/business',
      effect: async () =>
        problem(
          (await getSiteSettings(c.fx.ctx.db)).businessHours === c.made.hours,
          'the business hours were not saved',
        ),
    }),
  },
  'GET /admin/platform-settings/billing': {
    auth: 'admin',
    done: page('Billing · Platform settings', 'name="topUpPresets"', 'name="dunningSuspendAfterHours"'),
  },
  'POST /admin/platform-settings/billing': {
    auth: 'admin',
    setup: async () => ({
      threshold: `${5 + Math.floor(Math.random() * 90)}.${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`,
    }),
    body: (c) => ({
      topUpMin: '5.00',
      topUpMax: '1000.00',
      topUpPresets: '10, 25, 50, 100',
      lowBalanceThreshold: c.made.threshold!,
      dunningSuspendAfterHours: String(c.fx.ctx.deps.config.DUNNING_SUSPEND_AFTER_HOURS),
      dunningTerminateAfterDays: String(c.fx.ctx.deps.config.DUNNING_TERMINATE_AFTER_DAYS),
    }),
    done: (c) => ({
      status: 303,
      location: '/admin/platform-settings/billing',
      effect: async () => {
        const p = await getBillingPolicy(c.fx.ctx.db, c.fx.ctx.deps.config);
        return problem(
          p.lowBalanceThreshold === BigInt(Math.round(Number(c.made.threshold) * 100)) * 10_000n,
          'the low-balance threshold was not saved',
        );
      },
    }),
  },
  // The brand's images: public; none is set while the matrix runs (404).
  'GET /branding/logo': { auth: 'public', done: { status: 404 } },
  'GET /branding/favicon': { auth: 'public', done: { status: 404 } },
  // The staff API.
  'GET /api/v1/admin/settings': {
    auth: 'admin-token',
    done: () => ({
      status: 200,
      effect: (_c, out) => {
        const body = JSON.parse(out.text) as { maintenance?: { enabled?: unknown }; registration_enabled?: unknown };
        return problem(
          typeof body.maintenance?.enabled === 'boolean' && typeof body.registration_enabled === 'boolean',
          'no settings',
        );
      },
    }),
  },
  // The brand's images come as multipart, which the matrix does not send: a permitted JSON call is refused as the wrong type.
  'PUT /api/v1/admin/settings/branding/logo': { auth: 'admin-token', done: { status: 415 } },
  'PUT /api/v1/admin/settings/branding/favicon': { auth: 'admin-token', done: { status: 415 } },
  'PATCH /api/v1/admin/settings': {
    auth: 'admin-token',
    setup: async () => ({ message: `Matrix maintenance ${u()}` }),
    body: (c) =>
      ({ maintenance: { enabled: false, message: c.made.message! }, registration_enabled: true }) as unknown as Body,
    done: (c) => ({ status: 200, effect: () => savedOpen(c, c.made.message!) }),
  },
};
