import { Hono, type Context } from 'hono';
import { getBillingRun, listBillingRuns, startBillingRun } from '../../../domain/metering/runs.ts';
import { ConflictError, ValidationError } from '../../../lib/errors.ts';
import type { AppDeps } from '../../context.ts';
import { formData, isFormRefusal } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;
const PAGE = 50;

/** "2026-12-06T09:00" (UTC, as the form's datetime-local sends it) or a full ISO time; blank: the current hour. */
function hourOf(raw: string | undefined): Date | undefined {
  const v = (raw ?? '').trim();
  if (!v) return undefined;
  const d = new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? v : `${v}Z`);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) || Number.isNaN(d.getTime()))
    throw new ValidationError({ hour: 'Give an hour like 2026-12-06T09:00 (UTC), or leave it blank for this hour.' });
  return d;
}

/**
 * Runs of the hourly billing engine for staff, mounted at /admin/billing/runs: newest first
 * with what each charged, one run's organizations, and a form to start a run of the current or
 * a missed past hour (a future hour: 422 with the form; a run of that hour in progress: 409).
 */
export function adminBillingRunPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  const list = async (c: Context) => {
    const page = await listBillingRuns(deps.db, c.get('actor')!, {
      limit: PAGE,
      cursor: c.req.query('cursor') || null,
    });
    return { runs: page.items, nextCursor: page.nextCursor, first: !c.req.query('cursor') };
  };

  app.get('/', async (c) =>
    view.page(
      c,
      'admin/billing/runs',
      { ...(await list(c)), values: {}, errors: {}, message: null },
      {
        layout,
        title: 'Billing runs',
      },
    ),
  );

  app.post('/', async (c) => {
    const values = await formData(c);
    try {
      const run = await startBillingRun(deps, c.get('actor')!, { hour: hourOf(values.hour) });
      flash(c, `Billing run of ${run.hourStart.toISOString().slice(0, 13)}:00 UTC queued.`);
      return redirect(c, `/admin/billing/runs/${run.id}`);
    } catch (err) {
      if (!isFormRefusal(err)) throw err;
      const status = err instanceof ConflictError ? 409 : 422;
      return view.page(
        c,
        'admin/billing/runs',
        { ...(await list(c)), values, errors: err.fields ?? {}, message: err.message },
        { layout, title: 'Billing runs', status },
      );
    }
  });

  app.get('/:id', async (c) => {
    const run = await getBillingRun(deps.db, c.get('actor')!, c.req.param('id'));
    return view.page(c, 'admin/billing/run', { run }, { layout, title: 'Billing run' });
  });

  return app;
}
