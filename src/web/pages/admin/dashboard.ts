import { Hono } from 'hono';
import { adminDashboard, type Dashboard } from '../../../domain/operations/dashboard.ts';
import { checkForUpdate } from '../../../domain/operations/update-check.ts';
import { formatMoney } from '../../../lib/money.ts';
import { actorOf } from '../../actor.ts';
import { barChart } from '../../charts.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

/** The admin dashboard, /admin: the figures of domain/operations/dashboard.ts, each linking to its list, and two SVG charts. */
export function adminDashboardPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/', async (c) => {
    const [figures, update] = await Promise.all([
      adminDashboard(deps, actorOf(c)),
      checkForUpdate({ feedUrl: deps.config.UPDATE_FEED_URL, clock: deps.clock }),
    ]);
    return view.page(
      c,
      'admin/dashboard',
      { figures, update, ...charts(figures) },
      { layout: 'admin', title: 'Admin' },
    );
  });
  return app;
}

const shortDay = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

function charts(f: Dashboard) {
  const labels = f.days.map((d) => d.day);
  // Geometry only: micro-units as numbers; labels are formatted from whole micro-units.
  const money = (v: number) => formatMoney(BigInt(Math.round(v)), f.currency);
  return {
    revenueChart: barChart({
      labels,
      xLabel: shortDay,
      format: money,
      minTop: 1_000_000,
      series: [
        { name: 'Top-ups', fill: 'fill-sky-500', values: f.days.map((d) => Number(d.topUps)) },
        { name: 'Usage charges', fill: 'fill-emerald-500', values: f.days.map((d) => Number(d.usage)) },
      ],
    }),
    signUpChart: barChart({
      labels,
      xLabel: shortDay,
      format: (v) => String(v),
      integer: true,
      minTop: 2,
      series: [{ name: 'Sign-ups', fill: 'fill-violet-500', values: f.days.map((d) => d.signUps) }],
    }),
  };
}
