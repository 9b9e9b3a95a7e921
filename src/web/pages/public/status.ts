import { Hono } from 'hono';
import { offeredRegions } from '../../../domain/catalogue/offer.ts';
import { getPlatformSettings } from '../../../domain/settings/platform.ts';
import { platformHealth } from '../../../domain/status/health.ts';
import { affects, HISTORY_DAYS, statusBoard, UPDATE_LABELS } from '../../../domain/status/incidents.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

/**
 * /status (issue 16 item 1): the platform's health from the checks behind /ready (as up or
 * not, never figures), maintenance mode while it is on (its message and planned end), each
 * region on offer with the open incidents and maintenance affecting it, current incidents,
 * maintenance in progress and planned, and the last 90 days' resolved incidents. Nothing here
 * counts customers, servers or money.
 */
export function statusPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/status', async (c) => {
    const [health, board, regions, settings] = await Promise.all([
      platformHealth({ db: deps.db, queueHealthy: deps.queueHealthy }),
      statusBoard(deps),
      offeredRegions(deps.db, { cache: deps.cache }),
      getPlatformSettings(deps.db, { cache: deps.cache }),
    ]);
    const active = [...board.incidents, ...board.maintenanceNow];
    const components = [
      { name: 'Control panel and API', up: health.checks.database && health.checks.migrations },
      { name: 'Background jobs (server actions, emails)', up: health.checks.jobs },
      { name: 'Billing', up: health.checks.billing },
    ];
    const worst = board.incidents.reduce(
      (w, i) => Math.max(w, ['none', 'minor', 'major', 'critical'].indexOf(i.impact)),
      0,
    );
    const overall = !components.every((x) => x.up)
      ? { level: 'degraded', text: 'Some systems are having problems' }
      : worst >= 2
        ? { level: 'outage', text: 'A major incident is in progress' }
        : board.incidents.length
          ? { level: 'degraded', text: 'Some systems are affected by an incident' }
          : settings.maintenance.enabled || board.maintenanceNow.length
            ? { level: 'maintenance', text: 'Maintenance in progress' }
            : { level: 'ok', text: 'All systems operational' };
    return view.page(
      c,
      'public/status/index',
      {
        overall,
        components,
        maintenance: settings.maintenance.enabled ? settings.maintenance : null,
        regions: regions.map((r) => ({ ...r, incidents: active.filter((i) => affects(i, r.id)) })),
        board,
        regionLabels: Object.fromEntries(regions.map((r) => [r.id, r.label])),
        labels: UPDATE_LABELS,
        historyDays: HISTORY_DAYS,
        now: deps.clock.now(),
      },
      {
        layout: 'public',
        title: 'Status',
        description: 'Live status of the platform and each region: incidents, planned maintenance and their history.',
      },
    );
  });
  return app;
}
