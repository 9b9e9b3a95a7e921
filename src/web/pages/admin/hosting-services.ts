import { Hono, type Context } from 'hono';
import {
  adminGetHostingService,
  adminHostingServiceRecords,
  adminListHostingServices,
  SAGA_STATES,
} from '../../../domain/hosting/admin.ts';
import { listHostingPlans } from '../../../domain/hosting/plans.ts';
import { SERVICE_STATUSES } from '../../../domain/hosting/services.ts';
import { pageNumber } from '../../../db/paging.ts';
import { isFormRefusal } from '../../forms.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';
import { pageLinks } from './organizations.ts';

const FILTERS = ['status', 'saga', 'organization', 'q', 'plan'] as const;
const layout = 'admin' as const;

/** Badge classes and words for a service's status and its saga's state (staff pages). */
export const hostingFormat = {
  status: {
    provisioning: 'Provisioning',
    active: 'Active',
    suspended: 'Suspended',
    cancelled: 'Cancelled',
    failed: 'Failed',
  } as Record<string, string>,
  badge: (status: string) =>
    ({ active: 'badge-success', provisioning: 'badge-info', suspended: 'badge-warning', failed: 'badge-danger' })[
      status
    ] ?? '',
  saga: {
    running: 'Running',
    done: 'Done',
    compensating: 'Compensating',
    compensated: 'Compensated',
  } as Record<string, string>,
  sagaBadge: (state: string) =>
    ({ done: 'badge-success', running: 'badge-info', compensating: 'badge-warning', compensated: '' })[state] ?? '',
};

/**
 * /admin/hosting/services (platform staff): every organization's hosting services with
 * filters, and one service with its panel ids, saga journal, charges and log, and staff's
 * actions on it. The domain (hosting/admin.ts) asks for a platform admin again.
 */
export function adminHostingServicePages(deps: AppDeps, view: Renderer): Hono {
  const app = new Hono();
  const currency = deps.config.BILLING_CURRENCY;

  app.get('/', async (c) => {
    const filters = Object.fromEntries(FILTERS.map((k) => [k, (c.req.query(k) ?? '').trim()]));
    const page = pageNumber.parse(c.req.query('page'));
    const plans = await listHostingPlans(deps.db, actorOf(c));
    const base = {
      filters,
      plans,
      statuses: SERVICE_STATUSES.map((s) => ({ value: s, label: hostingFormat.status[s] })),
      sagaStates: SAGA_STATES.map((s) => ({ value: s, label: hostingFormat.saga[s] })),
      fmt: hostingFormat,
      currency,
    };
    const options = {
      layout,
      title: 'Hosting services',
      region: { id: 'hosting-service-results', partial: 'admin/hosting-services-results' },
    };
    try {
      const list = await adminListHostingServices(deps, actorOf(c), filters, page);
      const links = pageLinks('/admin/hosting/services', filters, list.page, list.pages);
      return view.page(c, 'admin/hosting-services', { ...base, ...list, links, errors: {} }, options);
    } catch (err) {
      if (!isFormRefusal(err)) throw err;
      const empty = { items: [], total: 0, page: 1, pages: 1, links: { prev: null, next: null } };
      return view.page(
        c,
        'admin/hosting-services',
        { ...base, ...empty, errors: err.fields ?? {} },
        { ...options, status: 422 },
      );
    }
  });

  async function show(c: Context, extra: { message?: string; status?: 200 | 409 | 422 | 503 } = {}) {
    const actor = actorOf(c);
    const service = await adminGetHostingService(deps, actor, c.req.param('id')!);
    const records = await adminHostingServiceRecords(deps, actor, service);
    return view.page(
      c,
      'admin/hosting-services-show',
      { service, ...records, fmt: hostingFormat, currency, message: extra.message ?? '' },
      { layout, title: service.domain, status: extra.status ?? 200 },
    );
  }

  app.get('/:id', (c) => show(c));

  return app;
}
