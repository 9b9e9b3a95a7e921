import { Hono } from 'hono';
import { can } from '../../../../domain/access/actor.ts';
import { hostingEnabled } from '../../../../domain/hosting/integration.ts';
import {
  getService,
  listServices,
  plansOf,
  provisioningProgress,
  serviceFor,
  serviceUsage,
  SERVICE_STATUSES,
  type ServiceView,
} from '../../../../domain/hosting/services.ts';
import { ValidationError } from '../../../../lib/errors.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import type { Renderer } from '../../../render.ts';
import { hostingFormat } from './present.ts';

const PAGE = 25;

/**
 * GET /hosting: the organization's hosting services (hosting_view), newest first, filtered by
 * status; the rows re-fetch themselves on `hosting.status` events. GET /hosting/:id: the
 * overview — status (live while provisioning: the summary region re-fetches itself with the
 * saga's progress), plan, domain, server IPs, next renewal, usage against the plan's limits
 * (the panel failing shows "usage unavailable"), the tab bar, control panel and cancel.
 * Both stay visible when hosting is turned off (only the store goes).
 */
export function servicePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const status = (c.req.query('status') ?? '').trim();
    const cursor = c.req.query('cursor') || null;
    let page: { items: ServiceView[]; nextCursor: string | null } = { items: [], nextCursor: null };
    let errors: Record<string, string> = {};
    try {
      page = await listServices(deps.db, actorOf(c), { status, limit: PAGE, cursor });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      errors = err.fields ?? {};
    }
    const query = status ? `status=${encodeURIComponent(status)}` : '';
    const here = new URLSearchParams(query);
    if (cursor) here.set('cursor', cursor);
    return view.page(
      c,
      'portal/hosting/index',
      {
        services: page.items,
        nextCursor: page.nextCursor,
        first: !cursor,
        status,
        query,
        self: `/hosting${here.size ? `?${here}` : ''}`,
        errors,
        statuses: SERVICE_STATUSES.map((s) => ({ value: s, label: hostingFormat.status[s] })),
        storeOpen: await hostingEnabled(deps.db, { cache: deps.cache }),
        currency: deps.config.BILLING_CURRENCY,
        fmt: hostingFormat,
      },
      {
        layout: 'portal',
        title: 'Web hosting',
        status: Object.keys(errors).length ? 422 : 200,
        region: { id: 'hosting-rows', partial: 'portal/hosting/_rows' },
      },
    );
  });

  app.get('/:id', async (c) => {
    const actor = actorOf(c);
    const id = c.req.param('id');
    const service = await getService(deps.db, actor, id);
    const progress = service.status === 'provisioning' ? await provisioningProgress(deps.db, id) : null;
    if (c.req.header('hx-target') === 'hosting-summary')
      return view.partial(c, 'portal/hosting/_summary', {
        service,
        progress,
        currency: deps.config.BILLING_CURRENCY,
        fmt: hostingFormat,
      });
    const row = await serviceFor(deps.db, actor, id, 'hosting_view');
    const plan = (await plansOf(deps.db, [row.plan_id])).get(row.plan_id)!;
    const usage = await serviceUsage(deps, row, plan);
    const live = service.status === 'active' || service.status === 'suspended';
    return view.page(
      c,
      'portal/hosting/show',
      {
        service,
        progress,
        usage,
        tab: '',
        live,
        mayManage: can(actor, 'hosting_manage') && service.status === 'active',
        mayCancel: can(actor, 'hosting_manage') && live && !service.cancelAtPeriodEnd,
        currency: deps.config.BILLING_CURRENCY,
        fmt: hostingFormat,
      },
      { layout: 'portal', title: service.domain },
    );
  });

  return app;
}
