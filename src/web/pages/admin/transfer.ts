import { Hono, type Context } from 'hono';
import {
  grantCredit,
  listPacks,
  listRegionPrices,
  listTransferRuns,
  newGrantId,
  organizationsForGrant,
  savePack,
  setPackActive,
  setRegionPrice,
} from '../../../domain/transfer/manage.ts';
import { formatGb } from '../../../domain/transfer/units.ts';
import { liveUsage } from '../../../domain/transfer/usage.ts';
import type { AppError } from '../../../lib/errors.ts';
import { formatMoney, toDecimal } from '../../../lib/money.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;
const HOME = '/admin/billing/transfer';

/**
 * Transfer billing for staff, mounted at /admin/billing/transfer: the overage price per GB of
 * each region (edit), transfer packs (create; change name, size and price; turn on or off), manual
 * grants of transfer credit to an organization with a reason (audited), the recent hourly and
 * month-close runs, and this month's live usage per organization and region pool. A refused
 * form is the page again with 422 and the form's messages (`form` names which form).
 */
export function adminTransferPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  async function data(c: Context) {
    const actor = c.get('actor')!;
    const [prices, packs, runs, usage, organizations] = await Promise.all([
      listRegionPrices(deps.db, actor, deps.config.BILLING_CURRENCY),
      listPacks(deps.db),
      listTransferRuns(deps.db, actor, 30),
      liveUsage(deps.db, actor, deps.clock.now()),
      organizationsForGrant(deps.db, actor),
    ]);
    return {
      prices,
      packs,
      runs,
      usage,
      organizations,
      grantId: newGrantId(),
      gb: formatGb,
      perGb: (m: bigint, currency: string) => formatMoney(m, currency, 4),
      decimal: toDecimal,
    };
  }

  const page = async (c: Context, extra: { form?: string; values?: Record<string, string>; err?: AppError } = {}) =>
    view.page(
      c,
      'admin/transfer/index',
      {
        ...(await data(c)),
        form: extra.form ?? null,
        values: extra.values ?? {},
        errors: extra.err?.fields ?? {},
        message: extra.err?.message ?? null,
      },
      { layout, title: 'Transfer billing', status: extra.err ? 422 : 200 },
    );

  app.get('/', (c) => page(c));

  const action = (form: string, fn: (c: Context, values: Record<string, string>) => Promise<string>) =>
    app.post(form === 'toggle' ? '/packs/:id/active' : form === 'edit' ? '/packs/:id' : `/${form}`, async (c) => {
      const values = await formData(c);
      return orFail(
        async () => {
          flash(c, await fn(c, values));
          return redirect(c, HOME);
        },
        (err) => page(c, { form, values, err }),
      );
    });

  action('prices', async (c, values) => {
    await setRegionPrice(deps, c.get('actor')!, values);
    return `Price of ${values.region_id} saved.`;
  });
  action('packs', async (c, values) => {
    const pack = await savePack(deps, c.get('actor')!, values);
    return `Pack “${pack.name}” created.`;
  });
  action('edit', async (c, values) => {
    const pack = await savePack(
      deps,
      c.get('actor')!,
      { ...values, active: values.active ?? 'false' },
      c.req.param('id'),
    );
    return `Pack “${pack.name}” saved.`;
  });
  action('toggle', async (c, values) => {
    const pack = await setPackActive(deps, c.get('actor')!, c.req.param('id') ?? '', values.active === 'true');
    return `Pack “${pack.name}” is now ${pack.active ? 'on offer' : 'withdrawn'}.`;
  });
  action('grants', async (c, values) => {
    const grant = await grantCredit(deps, c.get('actor')!, values);
    return grant.duplicate ? 'That grant was already made.' : `Granted ${values.gb} GB of transfer credit.`;
  });

  return app;
}
