import { Hono, type Context } from 'hono';
import { can } from '../../../domain/access/actor.ts';
import { activityCsv } from '../../../domain/activity/csv.ts';
import { dayIn } from '../../../domain/activity/dates.ts';
import { actionLabel, describeActivity } from '../../../domain/activity/describe.ts';
import { listActivity, parseActivityFilter, type ActivityFilter } from '../../../domain/activity/query.ts';
import { ACTIVITY_ACTIONS } from '../../../domain/activity/record.ts';
import { ForbiddenError, ValidationError } from '../../../lib/errors.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

const PAGE = 50;
const FILTER_KEYS = ['action', 'from', 'to'] as const;

/**
 * /activity: the active organization's activity log, filters and pages; `/activity.csv`
 * (`activityExportPages`): the same log as a CSV download. Both mounted by portal/index.ts.
 *
 * Needs `settings_manage` (by default the owner and admin roles). The log holds members'
 * IP addresses, user agents and security-relevant changes, so reading it is part of
 * administering the organization rather than something every member may do; among the 19
 * fixed permissions, settings_manage is the one that means exactly that. The JSON API
 * (GET /api/v1/activity) asks the same question.
 */
export function activityPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const organizationId = organizationOf(c);
    const raw = Object.fromEntries(FILTER_KEYS.map((k) => [k, c.req.query(k) ?? '']));
    const query = new URLSearchParams(Object.entries(raw).filter(([, v]) => v)).toString();
    let filter: ActivityFilter | null = null;
    let errors: Record<string, string> = {};
    try {
      filter = parseActivityFilter(raw, c.get('auth')!.user.timezone);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      errors = err.fields ?? {};
    }
    const page = filter
      ? await listActivity(deps.db, { organizationId }, filter, { limit: PAGE, cursor: c.req.query('cursor') || null })
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
    return view.page(c, 'portal/activity/index', data, {
      layout: 'portal',
      title: 'Activity',
      status: filter ? 200 : 422,
      region: { id: 'activity-results', partial: 'portal/activity/_results' },
    });
  });

  return app;
}

/** /activity.csv: the log as a download, with the filters of the page. */
export function activityExportPages(deps: AppDeps) {
  const app = new Hono();
  app.get('/', async (c) => {
    const organizationId = organizationOf(c);
    const timeZone = c.get('auth')!.user.timezone;
    const filter = parseActivityFilter(Object.fromEntries(FILTER_KEYS.map((k) => [k, c.req.query(k) ?? ''])), timeZone);
    return csvResponse(
      c,
      activityCsv(deps.db, { organizationId }, filter),
      `activity-${dayIn(deps.clock.now(), timeZone)}.csv`,
    );
  });
  return app;
}

function organizationOf(c: Context): string {
  const actor = c.get('actor');
  if (!actor?.organizationId || !can(actor, 'settings_manage'))
    throw new ForbiddenError("Seeing the organization's activity needs the settings_manage permission.");
  return actor.organizationId;
}

/** Streams CSV text as a download (an export of any size never sits in memory whole). */
export function csvResponse(c: Context, chunks: AsyncGenerator<string>, filename: string) {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return c.body(body, 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
}
