import { Hono } from 'hono';
import {
  getPlatformSettings,
  parsePlatformSettingsForm,
  updatePlatformSettings,
  type PlatformSettings,
} from '../../../domain/settings/platform.ts';
import { THEMES } from '../../../domain/settings/themes.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;
const title = 'Platform settings';
const region = { id: 'platform-settings', partial: 'admin/platform-settings/_form' };

/** A planned end as the form's `datetime-local` field shows it: UTC, to the minute. */
const utcMinute = (d: Date | null) => (d ? d.toISOString().slice(0, 16) : '');

function formValues(s: PlatformSettings): Record<string, string> {
  return {
    maintenanceEnabled: s.maintenance.enabled ? 'on' : '',
    maintenanceMessage: s.maintenance.message,
    maintenancePlannedEnd: utcMinute(s.maintenance.plannedEnd),
    registrationEnabled: s.registrationEnabled ? 'on' : '',
    defaultTheme: s.defaultTheme,
  };
}

/**
 * /admin/platform-settings: maintenance mode (on/off, the message customers read, the planned
 * end) and the registration switch. Bad input answers 422 with the form and what was typed;
 * a save is audited as `admin.settings_updated` with what changed. While maintenance is on,
 * layouts that include views/shared/_maintenance_banner.eta say so (GET /maintenance/banner).
 */
export function platformSettingsPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const s = await getPlatformSettings(deps.db);
    return view.page(
      c,
      'admin/platform-settings/index',
      { values: formValues(s), errors: {}, message: null, current: s, themes: THEMES },
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
      { template: 'admin/platform-settings/index', values, data: { current, themes: THEMES }, options },
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

  return app;
}
