import { getPlatformSettings } from '../../src/domain/settings/platform.ts';
import type { Body, Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for platform settings (issue 16 item 6), spread into ROUTES by
 * routes.ts: the maintenance page, the staff screen and the staff API. Other entries write
 * while these run, so no call here turns maintenance on or closes registration: the writes
 * save maintenance off and registration open (test/settings/** tests the switches themselves).
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
  'PATCH /api/v1/admin/settings': {
    auth: 'admin-token',
    setup: async () => ({ message: `Matrix maintenance ${u()}` }),
    body: (c) =>
      ({ maintenance: { enabled: false, message: c.made.message! }, registration_enabled: true }) as unknown as Body,
    done: (c) => ({ status: 200, effect: () => savedOpen(c, c.made.message!) }),
  },
};
