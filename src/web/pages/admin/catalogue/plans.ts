import { Hono, type Context } from 'hono';
import { adminPlan, adminPlans, planWizard } from '../../../../domain/catalogue/admin.ts';
import { createPlan, previewPlan, updatePlan } from '../../../../domain/catalogue/plans.ts';
import { changePlanPrice } from '../../../../domain/catalogue/prices.ts';
import { toDecimal } from '../../../../lib/money.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, formList, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

const layout = 'admin' as const;
const wizardRegion = { id: 'plan-wizard', partial: 'admin/catalogue/_wizard' };
const planRegion = { id: 'plan-forms', partial: 'admin/catalogue/_plan_forms' };

/** A form's fields with the repeated `regions` checkboxes as a list. */
async function planForm(c: Context): Promise<Record<string, string> & { regions?: string[] }> {
  return { ...(await formData(c)), regions: await formList(c, 'regions') } as Record<string, string> & {
    regions?: string[];
  };
}

/**
 * Server plans for staff, mounted at /admin/plans. A new plan is a wizard, server-rendered step
 * by step (htmx swaps #plan-wizard; without htmx each step is a page): provider → the
 * provider's plan from the cached catalogue → name, category, markup, backups price,
 * transfer, regions → review with the customer's prices → create. A plan's page edits it and
 * changes its price (a new price from the next clock hour) and shows the price history.
 */
export function planPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const plans = await adminPlans(deps.db, c.get('actor')!);
    return view.page(c, 'admin/catalogue/plans', { plans }, { layout, title: 'Server plans' });
  });

  const wizard = async (c: Context, values: Record<string, unknown>) => ({
    ...(await planWizard(deps.db, c.get('actor')!, {
      providerId: typeof values.provider_id === 'string' && values.provider_id ? values.provider_id : undefined,
      providerType: typeof values.provider_type === 'string' ? values.provider_type : undefined,
    })),
    currency: deps.config.BILLING_CURRENCY,
  });
  const options = { layout, title: 'New server plan', region: wizardRegion };

  app.get('/new', async (c) => {
    const q = c.req.query();
    const w = await wizard(c, q);
    const step = !w.provider ? 'provider' : !w.type ? 'type' : 'details';
    const values = w.type
      ? {
          provider_id: w.provider!.id,
          provider_type: w.type.id,
          name: '',
          category: w.type.category ?? '',
          markup: '0.00',
          backups_price: toDecimal(w.type.backupsMonthlyPrice, 2),
          transfer_gb: String(w.type.transferGb),
          regions: w.regions.map((r) => r.id),
          active: 'on',
          display_order: '0',
        }
      : {};
    return view.page(c, 'admin/catalogue/plan-new', { ...w, step, values, errors: {}, message: null }, options);
  });

  // The review step: everything checked and priced, nothing written. "Change" goes back to the form.
  app.post('/new/review', async (c) => {
    const values = await planForm(c);
    const w = await wizard(c, values);
    const form = { template: 'admin/catalogue/plan-new', values, data: { ...w, step: 'details' }, options };
    return submitForm(c, view, form, async () => {
      if (values.change)
        return view.page(c, form.template, { ...form.data, values, errors: {}, message: null }, options);
      const draft = await previewPlan(deps.db, c.get('actor')!, values);
      return view.page(c, form.template, { ...w, step: 'review', draft, values, errors: {}, message: null }, options);
    });
  });

  app.post('/', async (c) => {
    const values = await planForm(c);
    const w = await wizard(c, values);
    const form = { template: 'admin/catalogue/plan-new', values, data: { ...w, step: 'details' }, options };
    return submitForm(c, view, form, async () => {
      const plan = await createPlan(deps, c.get('actor')!, values);
      flash(c, `Plan ${values.name ?? ''} created.`);
      return redirect(c, `/admin/plans/${plan.id}`);
    });
  });

  const showData = async (c: Context) => {
    const detail = await adminPlan(deps.db, c.get('actor')!, c.req.param('id') ?? '');
    const p = detail.plan;
    const current = detail.upcoming ?? p.price;
    return {
      ...detail,
      failed: null as string | null,
      values: {
        name: p.name,
        category: p.category,
        transfer_gb: String(p.transferGb),
        regions: p.regions,
        active: p.active ? 'on' : '',
        display_order: String(p.displayOrder),
      },
      priceValues: {
        markup: current ? toDecimal(current.markup, 2) : '0.00',
        backups_price: current ? toDecimal(current.backups, 2) : '0.00',
      },
      errors: {},
      message: null,
    };
  };

  app.get('/:id', async (c) => {
    const data = await showData(c);
    return view.page(c, 'admin/catalogue/plan', data, { layout, title: data.plan.name, region: planRegion });
  });

  app.patch('/:id', async (c) => {
    const values = await planForm(c);
    const data = await showData(c);
    const opts = { layout, title: data.plan.name, region: planRegion };
    const form = { template: 'admin/catalogue/plan', values, data: { ...data, failed: 'plan' }, options: opts };
    return submitForm(c, view, form, async () => {
      await updatePlan(deps, c.get('actor')!, { planId: data.plan.id, values });
      flash(c, 'Plan saved.');
      return redirect(c, `/admin/plans/${data.plan.id}`);
    });
  });

  // A price change is a new price: POST /admin/plans/:id/prices.
  app.post('/:id/prices', async (c) => {
    const values = await formData(c);
    const data = await showData(c);
    const opts = { layout, title: data.plan.name, region: planRegion };
    const form = {
      template: 'admin/catalogue/plan',
      values: data.values as unknown as Record<string, string>,
      data: { ...data, failed: 'price', priceValues: values },
      options: opts,
    };
    return submitForm(c, view, form, async () => {
      const { effectiveFrom } = await changePlanPrice(deps, c.get('actor')!, { planId: data.plan.id, values });
      flash(c, `New price saved: it applies from ${effectiveFrom.toISOString().slice(0, 16).replace('T', ' ')} UTC.`);
      return redirect(c, `/admin/plans/${data.plan.id}`);
    });
  });

  return app;
}
