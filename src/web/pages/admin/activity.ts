import { Hono } from 'hono';
import { actionLabel, describeActivity } from '../../../domain/activity/describe.ts';
import { listActivity, parseActivityFilter, type ActivityFilter } from '../../../domain/activity/query.ts';
import { ACTIVITY_ACTIONS } from '../../../domain/activity/record.ts';
import { ValidationError } from '../../../lib/errors.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

const PAGE = 50;
const FILTER_KEYS = ['action', 'email', 'organization', 'from', 'to'] as const;

/** /admin/activity: every organization's and every account's events (mounted behind requireAdmin). */
export function adminActivityPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/activity', async (c) => {
    const raw = Object.fromEntries(FILTER_KEYS.map((k) => [k, c.req.query(k)?.trim() ?? '']));
    const query = new URLSearchParams(Object.entries(raw).filter(([, v]) => v)).toString();
    let filter: ActivityFilter | null = null;
    let errors: Record<string, string> = {};
    try {
      filter = parseActivityFilter(raw, c.get('auth')!.user.timezone, { platform: true });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      errors = err.fields ?? {};
    }
    const page = filter
      ? await listActivity(deps.db, 'platform', filter, { limit: PAGE, cursor: c.req.query('cursor') || null })
      : { rows: [], nextCursor: null };
    const data = {
      rows: page.rows.map(describeActivity),
      nextCursor: page.nextCursor,
      first: !c.req.query('cursor'),
      query,
      filters: raw,
      errors,
      actions: ACTIVITY_ACTIONS.map((a) => ({ value: a, label: actionLabel(a) })),
    };
    return view.page(c, 'admin/activity/index', data, {
      layout: 'admin',
      title: 'Activity log',
      status: filter ? 200 : 422,
    });
  });

  return app;
}
