import { Hono } from 'hono';
import { serverSettings, updateServerSettings } from '../../../../domain/settings/servers.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

const layout = 'admin' as const;
const region = { id: 'server-settings', partial: 'admin/catalogue/_settings_form' };

/** Server sales on/off and networking (the rDNS base domain), mounted at /admin/server-settings. */
export function serverSettingsPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/', async (c) => {
    const s = await serverSettings(deps.db);
    const values = { salesEnabled: s.salesEnabled ? 'on' : '', rdnsBaseDomain: s.rdnsBaseDomain ?? '' };
    return view.page(
      c,
      'admin/catalogue/settings',
      { values, errors: {}, message: null },
      { layout, title: 'Server settings', region },
    );
  });
  app.put('/', async (c) => {
    const values = await formData(c);
    const options = { layout, title: 'Server settings', region };
    return submitForm(c, view, { template: 'admin/catalogue/settings', values, options }, async () => {
      const s = await updateServerSettings(deps, c.get('actor')!, values);
      flash(
        c,
        s.salesEnabled ? 'Server settings saved.' : 'Server settings saved. Customers cannot create servers now.',
      );
      return redirect(c, '/admin/server-settings');
    });
  });
  return app;
}
