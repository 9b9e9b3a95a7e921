import { Hono, type Context } from 'hono';
import {
  adminCancelHostingService,
  adminRetryHostingSaga,
  adminSuspendHostingService,
  adminSyncHostingOrganization,
  adminSyncHostingService,
  adminUnsuspendHostingService,
} from '../../../domain/hosting/admin-actions.ts';
import {
  adminGetHostingService,
  adminHostingServiceRecords,
  adminListHostingServices,
  SAGA_STATES,
} from '../../../domain/hosting/admin.ts';
import { listHostingPlans } from '../../../domain/hosting/plans.ts';
import { SERVICE_STATUSES } from '../../../domain/hosting/services.ts';
import { pageNumber } from '../../../db/paging.ts';
import type { AppError } from '../../../lib/errors.ts';
import { formatMoney } from '../../../lib/money.ts';
import { formData, isFormRefusal, orFail } from '../../forms.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { flash, redirect, type Renderer } from '../../render.ts';
import { hostingFormat } from './hosting-services-format.ts';
import { pageLinks } from './organizations.ts';

const FILTERS = ['status', 'saga', 'organization', 'q', 'plan'] as const;
const layout = 'admin' as const;
type Status = 200 | 409 | 422 | 503;

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

  async function show(
    c: Context,
    extra: { message?: string; errors?: Record<string, string>; values?: Record<string, string>; status?: Status } = {},
  ) {
    const actor = actorOf(c);
    const service = await adminGetHostingService(deps, actor, c.req.param('id')!);
    const records = await adminHostingServiceRecords(deps, actor, service);
    const data = {
      service,
      ...records,
      fmt: hostingFormat,
      currency,
      message: extra.message ?? '',
      errors: extra.errors ?? {},
      values: { when: 'now', refund: 'prorated', ...extra.values },
    };
    return view.page(c, 'admin/hosting-services-show', data, {
      layout,
      title: service.domain,
      status: extra.status ?? 200,
    });
  }

  /** A refusal on the page: the message (or the form's field messages), with its status (409, 422, 503). */
  const refused = (c: Context, err: AppError, values: Record<string, string> = {}) =>
    show(c, {
      message: err.fields ? '' : err.message,
      errors: err.fields ?? {},
      values,
      status: err.status === 409 || err.status === 503 ? err.status : 422,
    });

  /** Runs a staff action: a flash and back to the service, or the page with why not. */
  const act = (c: Context, work: (id: string, values: Record<string, string>) => Promise<string>) =>
    formData(c).then((values) =>
      orFail(
        async () => {
          const id = c.req.param('id')!;
          flash(c, await work(id, values));
          return redirect(c, `/admin/hosting/services/${id}`);
        },
        (err) => refused(c, err, values),
      ),
    );

  app.get('/:id', (c) => show(c));

  app.post('/:id/suspend', (c) =>
    act(c, async (id) => {
      const s = await adminSuspendHostingService(deps, actorOf(c), id);
      return `${s.domain} is suspended: its website is disabled at the control panel.`;
    }),
  );

  app.post('/:id/unsuspend', (c) =>
    act(c, async (id) => {
      const s = await adminUnsuspendHostingService(deps, actorOf(c), id);
      return `${s.domain} is active again: its website is enabled at the control panel.`;
    }),
  );

  app.post('/:id/cancel', (c) =>
    act(c, async (id, values) => {
      const { service: s, refunded } = await adminCancelHostingService(deps, actorOf(c), id, values);
      if (s.status !== 'cancelled') return `${s.domain} will end at the end of its paid period.`;
      return refunded > 0n
        ? `${s.domain} is cancelled; ${formatMoney(refunded, currency, 4)} refunded to the organization's wallet.`
        : `${s.domain} is cancelled, without a refund.`;
    }),
  );

  app.post('/:id/saga-retry', (c) =>
    act(c, async (id) => {
      const s = await adminRetryHostingSaga(deps, actorOf(c), id);
      if (s.saga_state === 'done') return `The purchase of ${s.domain} is complete: the service is ${s.status}.`;
      if (s.saga_state === 'compensated') return `The purchase of ${s.domain} was undone and its charge refunded.`;
      return `Retried. The purchase is still ${s.saga_state}${s.saga_error ? `: ${s.saga_error}` : ''}; the job keeps trying.`;
    }),
  );

  app.post('/:id/sync', (c) =>
    act(c, async (id) => {
      const r = await adminSyncHostingService(deps, actorOf(c), id);
      const ips = r.serverIps.map((i) => i.ip).join(', ') || 'none';
      return `Synced from the control panel: the website is ${r.websiteStatus} there; server IPs ${ips}.`;
    }),
  );

  app.post('/:id/organization-sync', (c) =>
    act(c, async (id) => {
      const r = await adminSyncHostingOrganization(deps, actorOf(c), id);
      const failed = r.failed.map((f) => `${f.domain} (${f.message})`).join('; ');
      return `${r.organizationName}: ${r.synced} service${r.synced === 1 ? '' : 's'} synced from the control panel${failed ? `; not synced: ${failed}` : ''}.`;
    }),
  );

  return app;
}
