import { Hono, type Context } from 'hono';
import { exemptOrganization, extendDeadline, removeExemption } from '../../../domain/dunning/admin.ts';
import { arrearsOf, listArrears } from '../../../domain/dunning/query.ts';
import { dunningConfig } from '../../../domain/settings/billing-policy.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;

/**
 * Organizations in arrears for staff, mounted at /admin/billing/arrears: the list (balance,
 * since, status, next step and when), one organization's case with its history, and the staff
 * changes (domain/dunning/admin.ts): exempt with a reason, remove the exemption, extend the
 * deadline to a later date. Bad input: the organization's page again with the errors, 422.
 */
export function adminArrearsPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = async () => ({ now: deps.clock.now(), config: await dunningConfig(deps) });

  app.get('/', async (c) =>
    view.page(
      c,
      'admin/arrears/index',
      { rows: await listArrears(deps.db, c.get('actor')!, await opts()) },
      { layout, title: 'Arrears' },
    ),
  );

  const show = async (c: Context) => {
    const data = await arrearsOf(deps.db, c.get('actor')!, c.req.param('id')!, await opts());
    return { data, options: { layout, title: `Arrears: ${data.arrears.name}` } };
  };

  app.get('/:id', async (c) => {
    const { data, options } = await show(c);
    return view.page(c, 'admin/arrears/show', { ...data, values: {}, errors: {}, message: null, form: null }, options);
  });

  const form =
    (name: 'exemption' | 'deadline', run: (c: Context, values: Record<string, string>) => Promise<string>) =>
    async (c: Context) => {
      const values = await formData(c);
      const { data, options } = await show(c);
      return submitForm(
        c,
        view,
        { template: 'admin/arrears/show', values, data: { ...data, form: name }, options },
        async () => {
          flash(c, await run(c, values));
          return redirect(c, `/admin/billing/arrears/${data.arrears.organizationId}`);
        },
      );
    };

  app.post(
    '/:id/exemption',
    form('exemption', async (c, values) => {
      await exemptOrganization(deps, c.get('actor')!, {
        organizationId: c.req.param('id')!,
        values: { reason: values.reason ?? '' },
      });
      return 'The organization is exempt: its servers are not suspended or deleted while in these arrears.';
    }),
  );

  app.delete('/:id/exemption', async (c) => {
    const removed = await removeExemption(deps, c.get('actor')!, c.req.param('id'));
    flash(
      c,
      removed ? 'The exemption is removed: the deadlines apply again.' : 'The organization was not exempt.',
      removed ? 'success' : 'info',
    );
    return redirect(c, `/admin/billing/arrears/${c.req.param('id')}`);
  });

  app.post(
    '/:id/deadline',
    form('deadline', async (c, values) => {
      const until = await extendDeadline(deps, c.get('actor')!, {
        organizationId: c.req.param('id')!,
        values: { until: values.until ?? '', reason: values.reason ?? '' },
      });
      return `The deadline is now ${until.toISOString().slice(0, 16).replace('T', ' ')} UTC; the suspension moved as much.`;
    }),
  );

  return app;
}
