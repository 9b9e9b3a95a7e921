import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { Db } from '../../db/index.ts';
import { getPlatformSettings, retryAfterSeconds, type MaintenanceSettings } from '../../domain/settings/platform.ts';
import type { DataCache } from '../../lib/data-cache.ts';
import type { Clock } from '../../lib/time.ts';
import { errorEnvelope } from '../errors.ts';
import type { Renderer } from '../render.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Unsafe requests that go on during maintenance, whoever makes them: signing in (so staff can
 * get in: the password and the second factor; a customer may sign in too and then only read),
 * signing out, an impersonating admin's "Stop", and dismissing an announcement (the banner
 * that says maintenance is on, say). Registration is refused like any write.
 */
const HTML_ALLOWED: readonly (readonly [string, string | RegExp])[] = [
  ['POST', '/login'],
  ['POST', '/login/two-factor'],
  ['POST', '/logout'],
  ['DELETE', '/impersonation'],
  ['POST', /^\/announcements\/[^/]+\/dismiss$/],
];
/** The API's sign-in (an access token) and sign-out (revoking it). */
const API_ALLOWED: readonly (readonly [string, string | RegExp])[] = [
  ['POST', '/api/v1/auth/tokens'],
  ['DELETE', '/api/v1/auth/tokens/current'],
];

interface Opts {
  db: Db;
  clock: Clock;
  cache?: DataCache;
}

/** Whether this request may go on during maintenance, and if not, the settings that refuse it. */
async function refusal(opts: Opts, c: Context, allowed: typeof HTML_ALLOWED): Promise<MaintenanceSettings | null> {
  if (SAFE.has(c.req.method)) return null;
  // Platform staff in their own session or with their own access token (never an API key, never
  // while impersonating: the actor then is the customer, and `isPlatformAdmin` is false).
  if (c.get('actor')?.isPlatformAdmin) return null;
  const path = c.req.path.replace(/\/+$/, '') || '/';
  if (allowed.some(([m, p]) => m === c.req.method && (typeof p === 'string' ? p === path : p.test(path)))) return null;
  const { maintenance } = await getPlatformSettings(opts.db, { cache: opts.cache });
  return maintenance.enabled ? maintenance : null;
}

/**
 * Maintenance mode for the HTML app (after the session, actor and CSRF): while it is on,
 * every unsafe request from anyone but platform staff gets 503 with the maintenance page (its
 * message and planned end) and `Retry-After`; an htmx request is sent to /maintenance
 * (`HX-Redirect`: htmx swaps no 5xx). Reads, sign-in and sign-out go on. Provider webhooks
 * and /ready are mounted outside the HTML app and never pass here.
 *
 * @example html.use(maintenanceGate({ db, clock, cache: deps.cache, view: () => view }))
 */
export function maintenanceGate(opts: Opts & { view: () => Renderer }): MiddlewareHandler {
  return async function maintenanceGateMiddleware(c, next) {
    // Every page says so while maintenance is on (views/shared/_maintenance_banner.eta): the
    // settings come from the process's data cache, so this costs no query per request.
    const { maintenance } = await getPlatformSettings(opts.db, { cache: opts.cache });
    c.set('maintenance', maintenance.enabled ? maintenance : null);
    const m = await refusal(opts, c, HTML_ALLOWED);
    if (!m) return next();
    c.header('Retry-After', String(retryAfterSeconds(m, opts.clock.now())));
    c.header('Cache-Control', 'no-store');
    if (c.req.header('hx-request')) c.header('HX-Redirect', '/maintenance');
    return maintenancePage(c, opts.view(), m, 503);
  };
}

/**
 * Maintenance mode for the JSON API (after `bearerAuth`): unsafe requests from access tokens
 * and API keys alike get 503 `maintenance` with the message, `planned_end` and `Retry-After`;
 * a platform admin's own access token goes on, as do creating and revoking access tokens.
 *
 * @example api.use(apiMaintenanceGate({ db, clock, cache: deps.cache }))
 */
export function apiMaintenanceGate(opts: Opts): MiddlewareHandler {
  return async function apiMaintenanceGateMiddleware(c, next) {
    const m = await refusal(opts, c, API_ALLOWED);
    if (!m) return next();
    c.header('Retry-After', String(retryAfterSeconds(m, opts.clock.now())));
    const body = errorEnvelope('maintenance', m.message) as { error: Record<string, unknown> };
    body.error.planned_end = m.plannedEnd?.toISOString() ?? null;
    return c.json(body, 503);
  };
}

function maintenancePage(c: Context, view: Renderer, m: MaintenanceSettings, status: 200 | 503) {
  return view.page(
    c,
    'errors/maintenance',
    { maintenance: m, refused: status === 503 },
    { layout: 'public', status, title: m.enabled ? 'Maintenance in progress' : 'No maintenance' },
  );
}

/**
 * GET /maintenance: what is going on (an htmx write refused during maintenance lands here).
 * 503 with `Retry-After` while maintenance is on, 200 otherwise.
 */
export function maintenancePages(opts: Opts & { view: () => Renderer }) {
  const app = new Hono();
  app.get('/maintenance', async (c) => {
    const { maintenance } = await getPlatformSettings(opts.db, { cache: opts.cache });
    if (!maintenance.enabled) return maintenancePage(c, opts.view(), maintenance, 200);
    c.header('Retry-After', String(retryAfterSeconds(maintenance, opts.clock.now())));
    return maintenancePage(c, opts.view(), maintenance, 503);
  });
  return app;
}
