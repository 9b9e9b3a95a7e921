import { Hono, type Context } from 'hono';
import {
  checkHealth,
  getIntegration,
  saveSettings,
  setEnabled,
  type HostingIntegrationView,
} from '../../../domain/hosting/integration.ts';
import {
  getHostingPlan,
  listHostingPlans,
  syncHostingPlans,
  updateHostingPlan,
  type HostingPlanView,
} from '../../../domain/hosting/plans.ts';
import { AppError } from '../../../lib/errors.ts';
import { toDecimal } from '../../../lib/money.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;

/** A price as typed back into a form: at least 2 decimals, every significant one kept (5.00, 5.1234). */
const exactDecimal = (micros: bigint) => toDecimal(micros, 6).replace(/(\.\d\d\d*?)0+$/, '$1');
const settingsRegion = { id: 'hosting-settings', partial: 'admin/hosting/_settings_form' };
const planRegion = { id: 'hosting-plan-form', partial: 'admin/hosting/_plan_form' };

/**
 * Web hosting (Enhance) for staff, mounted at /admin/hosting: the integration's status, on/off,
 * connection settings (the token is never put on a page: the form says only whether one is
 * set), "check now", and the plans synced from the panel with their local name, description,
 * monthly price, active flag and position.
 */
export function adminHostingPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const currency = deps.config.BILLING_CURRENCY;

  const settingsValues = (i: HostingIntegrationView) => ({
    api_url: i.demo ? '' : (i.apiUrl ?? ''),
    master_org_id: i.demo ? '' : (i.masterOrgId ?? ''),
    default_server_group_id: i.defaultServerGroupId ?? '',
    token: '',
  });
  const pageData = async (c: Context) => {
    const actor = c.get('actor')!;
    const integration = await getIntegration(deps.db, actor);
    const plans = await listHostingPlans(deps.db, actor);
    return { integration, plans, currency };
  };

  app.get('/', async (c) => {
    const data = await pageData(c);
    return view.page(
      c,
      'admin/hosting/index',
      { ...data, values: settingsValues(data.integration), errors: {}, message: null },
      { layout, title: 'Web hosting', region: settingsRegion },
    );
  });

  app.put('/settings', async (c) => {
    const values = await formData(c);
    const data = await pageData(c);
    const options = { layout, title: 'Web hosting', region: settingsRegion };
    // The token typed is never sent back, even on a refusal.
    const shown = { ...values, token: '' };
    return submitForm(c, view, { template: 'admin/hosting/index', values: shown, data, options }, async () => {
      await saveSettings(deps, c.get('actor')!, values);
      flash(c, 'Connection settings saved. Check the connection, then sync the plans.');
      return redirect(c, '/admin/hosting');
    });
  });

  // On/off, "check now" and "sync plans" are plain forms: each answers with the page and a message.
  app.post('/state', async (c) => {
    const values = await formData(c);
    try {
      const i = await setEnabled(deps, c.get('actor')!, values);
      flash(c, i.enabled ? 'Hosting is on.' : 'Hosting is off: customers no longer see the hosting store.');
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 422) throw err;
      flash(c, err.message, 'error');
    }
    return redirect(c, '/admin/hosting');
  });

  app.post('/health-checks', async (c) => {
    try {
      const i = await checkHealth(deps, c.get('actor')!);
      if (i.health === 'ok') flash(c, 'The control panel answered: the connection works.');
      else flash(c, `The connection check failed: ${i.healthMessage ?? 'unknown error'}`, 'error');
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 422) throw err;
      flash(c, err.message, 'error');
    }
    return redirect(c, '/admin/hosting');
  });

  app.post('/plan-syncs', async (c) => {
    try {
      const s = await syncHostingPlans(deps, c.get('actor')!);
      if (s.aborted) flash(c, s.warning ?? 'Nothing was changed.', 'error');
      else
        flash(
          c,
          `Plans synced: ${s.listed} listed, ${s.added} added, ${s.updated} updated, ${s.deactivated} deactivated.`,
        );
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 422) throw err;
      flash(c, err.message, 'error');
    }
    return redirect(c, '/admin/hosting');
  });

  const planValues = (p: HostingPlanView) => ({
    name: p.name,
    description: p.description,
    monthly_price: p.monthlyPrice === null ? '' : exactDecimal(p.monthlyPrice),
    active: p.active ? 'on' : '',
    position: String(p.position),
  });

  app.get('/plans/:id', async (c) => {
    const plan = await getHostingPlan(deps.db, c.get('actor')!, c.req.param('id'));
    return view.page(
      c,
      'admin/hosting/plan',
      { plan, currency, values: planValues(plan), errors: {}, message: null },
      { layout, title: plan.name, region: planRegion },
    );
  });

  app.patch('/plans/:id', async (c) => {
    const plan = await getHostingPlan(deps.db, c.get('actor')!, c.req.param('id'));
    const values = await formData(c);
    const options = { layout, title: plan.name, region: planRegion };
    return submitForm(
      c,
      view,
      { template: 'admin/hosting/plan', values, data: { plan, currency }, options },
      async () => {
        await updateHostingPlan(deps, c.get('actor')!, { planId: plan.id, values });
        flash(c, 'Plan saved.');
        return redirect(c, '/admin/hosting');
      },
    );
  });

  return app;
}
