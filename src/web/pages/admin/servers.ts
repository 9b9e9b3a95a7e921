import { Hono, type Context } from 'hono';
import { offeredPlans, offeredRegions } from '../../../domain/catalogue/offer.ts';
import { listProviders } from '../../../domain/catalogue/providers.ts';
import {
  adminDeleteServer,
  adminGetServer,
  adminServerActions,
  adminListServers,
  adminRunAction,
  listDrift,
  resolveDrift,
} from '../../../domain/servers/admin.ts';
import { SERVER_STATUSES } from '../../../domain/servers/status.ts';
import { pinnedHostKey } from '../../../domain/console/host-keys.ts';
import { pageNumber } from '../../../db/paging.ts';
import { formatMoney } from '../../../lib/money.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';
import { serverFormat, STATUS_LABELS } from '../portal/servers/present.ts';
import { refusalStatus } from '../portal/servers/actions.ts';
import { pageLinks } from './organizations.ts';

const FILTERS = ['q', 'organization', 'status', 'region', 'plan', 'provider'] as const;
const POWER = { boot: 'powering on', shutdown: 'shutting down', reboot: 'rebooting' } as const;

/**
 * /admin/servers (platform staff): every organization's servers with filters, one server with
 * its power actions and delete (with a reason the organization sees), and the reconciliation's
 * drift findings. The domain (servers/admin.ts) asks for a platform admin again.
 */
export function adminServerPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = { layout: 'admin' as const };

  app.get('/', async (c) => {
    const filters = Object.fromEntries(FILTERS.map((k) => [k, (c.req.query(k) ?? '').trim()]));
    const page = pageNumber.parse(c.req.query('page'));
    const [list, providers, regions, plans] = await Promise.all([
      adminListServers(
        deps,
        actorOf(c),
        {
          q: filters.q,
          organizationId: filters.organization,
          status: filters.status,
          region: filters.region,
          planId: filters.plan,
          providerId: filters.provider,
        },
        page,
      ),
      listProviders(deps.db, actorOf(c)),
      offeredRegions(deps.db),
      offeredPlans(deps.db, deps.clock.now(), { includeInactive: true }),
    ]);
    const data = {
      ...list,
      filters,
      links: pageLinks('/admin/servers', filters, list.page, list.pages),
      providers,
      regions: [...new Map(regions.map((r) => [r.id, r])).values()],
      plans,
      statuses: SERVER_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] })),
      fmt: serverFormat,
    };
    return view.page(c, 'admin/servers/index', data, {
      ...opts,
      title: 'Servers',
      region: { id: 'server-results', partial: 'admin/servers/_results' },
    });
  });

  app.get('/drift', async (c) => {
    const findings = await listDrift(deps, actorOf(c), {});
    return view.page(c, 'admin/servers/drift', { findings }, { ...opts, title: 'Server drift' });
  });

  app.post('/drift/:driftId/resolution', async (c) => {
    await resolveDrift(deps, actorOf(c), c.req.param('driftId'));
    flash(c, 'Marked as handled. The next reconciliation reports it again if it is still true.');
    return redirect(c, '/admin/servers/drift');
  });

  async function show(
    c: Context,
    extra: { message?: string; errors?: Record<string, string>; status?: 200 | 409 | 422 | 429 | 503 } = {},
  ) {
    const server = await adminGetServer(deps, actorOf(c), c.req.param('id')!);
    const actions = await adminServerActions(deps, actorOf(c), server.id, { limit: 50 });
    const hostKey = await pinnedHostKey(deps.db, actorOf(c), server.id);
    const data = {
      server,
      actions,
      hostKey,
      message: extra.message ?? '',
      errors: extra.errors ?? {},
      fmt: serverFormat,
    };
    return view.page(c, 'admin/servers/show', data, { ...opts, title: server.label, status: extra.status ?? 200 });
  }

  app.get('/:id', (c) => show(c));

  for (const type of Object.keys(POWER) as Array<keyof typeof POWER>)
    app.post(`/:id/${type}`, async (c) => {
      const id = c.req.param('id');
      return orFail(
        async () => {
          await adminRunAction(deps, actorOf(c), id, { type });
          flash(c, `The server is ${POWER[type]}.`);
          return redirect(c, `/admin/servers/${id}`);
        },
        (err) => show(c, { message: err.message, status: refusalStatus(err) }),
      );
    });

  app.post('/:id/delete', async (c) => {
    const id = c.req.param('id');
    const values = await formData(c);
    return orFail(
      async () => {
        const server = await adminGetServer(deps, actorOf(c), id);
        const { refunded } = await adminDeleteServer(deps, actorOf(c), id, { reason: values.reason ?? '' });
        flash(
          c,
          `${server.label} of ${server.organizationName} was deleted; ${formatMoney(refunded, server.currency, 4)} refunded to its wallet.`,
        );
        return redirect(c, `/admin/servers/${id}`);
      },
      (err) =>
        show(c, { message: err.fields ? '' : err.message, errors: err.fields ?? {}, status: refusalStatus(err) }),
    );
  });

  return app;
}
