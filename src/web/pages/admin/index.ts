import { Hono } from 'hono';
import { platformCounts } from '../../../domain/accounts/me.ts';
import { isUuid } from '../../../lib/ids.ts';
import type { AppDeps } from '../../context.ts';
import { requireAdmin } from '../../middleware/require-auth.ts';
import type { Renderer } from '../../render.ts';
import { adminActivityPages } from './activity.ts';
import { adminFraudPages } from './fraud.ts';
import { adminPeoplePages } from './users.ts';

const PAGE = 50;

/** The platform staff area. */
export function adminPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.use('*', requireAdmin());
  const opts = { layout: 'admin' as const };

  app.get('/', async (c) => view.page(c, 'admin/dashboard', { counts: await platformCounts(deps.db) }, { ...opts, title: 'Admin' }));

  app.get('/outbox', async (c) => {
    const to = c.req.query('to')?.trim().toLowerCase() ?? '';
    const page = Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1);
    let q = deps.db.selectFrom('emails').select(['id', 'to_address', 'subject', 'template', 'status', 'transport', 'created_at', 'sent_at']);
    if (to) q = q.where('to_address', 'like', `%${to.replace(/[%_\\]/g, '\\$&')}%`);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id').limit(PAGE + 1).offset((page - 1) * PAGE).execute();
    return view.page(c, 'admin/outbox', { emails: rows.slice(0, PAGE), to, page, hasMore: rows.length > PAGE, transport: deps.config.mailTransport }, { ...opts, title: 'Mail outbox' });
  });

  app.get('/outbox/:id', async (c) => {
    const id = c.req.param('id');
    const email = isUuid(id) ? await deps.db.selectFrom('emails').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!email) return c.notFound();
    return view.page(c, 'admin/outbox-email', { email }, { ...opts, title: email.subject });
  });

  app.get('/jobs', async (c) => {
    const runs = await deps.db.selectFrom('job_runs').selectAll().orderBy('started_at', 'desc').limit(100).execute();
    return view.page(c, 'admin/job-runs', { runs }, { ...opts, title: 'Job runs' });
  });

  app.route('/', adminPeoplePages(deps, view));
  app.route('/', adminActivityPages(deps, view));
  app.route('/fraud', adminFraudPages(deps, view));
  return app;
}
