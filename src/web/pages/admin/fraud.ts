import { Hono, type Context } from 'hono';
import { fraudOverview } from '../../../domain/fraud/list.ts';
import { decideFraudCheck } from '../../../domain/fraud/review.ts';
import { getFraudSettings, updateFraudSettings } from '../../../domain/settings/fraud.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;
const checksRegion = { id: 'fraud-checks', partial: 'admin/fraud/_checks' };
const settingsRegion = { id: 'fraud-settings', partial: 'admin/fraud/_settings_form' };

/** Fraud screening for staff: the review queue with allow/block, and the settings. Mounted at /admin/fraud. */
export function adminFraudPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const overview = async (c: Context) => ({
    ...(await fraudOverview(deps.db, c.get('actor')!)),
    notice: null as string | null,
    message: null,
  });

  app.get('/', async (c) =>
    view.page(c, 'admin/fraud/index', await overview(c), { layout, title: 'Fraud screening', region: checksRegion }),
  );

  // A decision is a resource of the check: POST /admin/fraud/checks/:id/decision, decision=allow|block.
  app.post('/checks/:id/decision', async (c) => {
    const values = await formData(c);
    const options = { layout, title: 'Fraud screening', region: checksRegion };
    return submitForm(
      c,
      view,
      { template: 'admin/fraud/index', values, data: await overview(c), options },
      async () => {
        const check = await decideFraudCheck(deps, c.get('actor')!, {
          checkId: c.req.param('id'),
          decision: values.decision ?? '',
        });
        const notice = `${check.email ?? 'The check'}: ${check.status === 'allowed' ? 'allowed' : 'blocked'}.`;
        if (!c.req.header('hx-request')) {
          flash(c, notice);
          return redirect(c, '/admin/fraud');
        }
        // htmx: the queue and the recent decisions, redrawn in place.
        return view.page(c, 'admin/fraud/index', { ...(await overview(c)), notice }, options);
      },
    );
  });

  app.get('/settings', async (c) => {
    const settings = await getFraudSettings(deps);
    return view.page(
      c,
      'admin/fraud/settings',
      { values: settings, errors: {}, provider: deps.fraud?.label ?? null },
      { layout, title: 'Fraud settings', region: settingsRegion },
    );
  });

  app.put('/settings', async (c) => {
    const values = await formData(c);
    const data = { provider: deps.fraud?.label ?? null };
    const options = { layout, title: 'Fraud settings', region: settingsRegion };
    return submitForm(c, view, { template: 'admin/fraud/settings', values, data, options }, async () => {
      await updateFraudSettings(deps, c.get('actor')!, values);
      flash(c, 'Fraud settings saved.');
      return redirect(c, '/admin/fraud/settings');
    });
  });

  return app;
}
