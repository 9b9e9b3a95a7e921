import { Hono, type Context } from 'hono';
import { MAX_BILLING_LAG_SECONDS, platformHealth } from './domain/status/health.ts';
import { httpMetrics } from './metrics/http.ts';
import { metricsRoutes } from './metrics/route.ts';
import { paypalApprovalOrigins } from './providers/paypal/index.ts';
import { adminArea } from './web/pages/admin/index.ts';
import { impersonationArea } from './web/pages/admin/impersonation.ts';
import { apiV1 } from './web/api/v1/index.ts';
import { mountArea } from './web/areas.ts';
import type { AppDeps } from './web/context.ts';
import { handleError, handleNotFound } from './web/errors.ts';
import { actorLoader } from './web/middleware/actor.ts';
import { ROOT_DIR } from './web/assets.ts';
import { compress } from './web/middleware/compress.ts';
import { staticFiles } from './web/middleware/static-files.ts';
import { arrearsLoader } from './web/middleware/arrears.ts';
import { headerStatusLoader } from './web/middleware/header-status.ts';
import { requestBodyLimit } from './web/middleware/body-limit.ts';
import { UPLOAD_PATHS, uploadBodyLimit } from './web/attachments.ts';
import { csrf } from './web/middleware/csrf.ts';
import { impersonation } from './web/middleware/impersonation.ts';
import { maintenanceGate, maintenancePages } from './web/middleware/maintenance.ts';
import { themeLoader } from './web/middleware/theme.ts';
import { announcementsLoader } from './web/middleware/announcements.ts';
import { publicCache } from './web/middleware/public-cache.ts';
import { announcementPages } from './web/pages/announcements.ts';
import { rateLimit } from './web/middleware/rate-limit.ts';
import { requestContext } from './web/middleware/request-context.ts';
import { ipRules } from './web/middleware/ip-rules.ts';
import { refuseNulAddress } from './web/middleware/nul-address.ts';
import { securityHeaders } from './web/middleware/security-headers.ts';
import { sessionLoader } from './web/middleware/session.ts';
import { portalAreas } from './web/pages/portal/index.ts';
import { publicPages } from './web/pages/public/index.ts';
import { searchArea } from './web/pages/search.ts';
import { sseRoutes } from './web/realtime/sse.ts';
import { createRenderer } from './web/render.ts';
import { paypalWebhookRoutes } from './web/webhooks/paypal.ts';

/** Builds the whole HTTP app without listening (tests call `app.request()`). */
export function createApp(deps: AppDeps) {
  const { db, config, clock } = deps;
  const view = createRenderer(config, deps.assets, deps.renderedPages);
  const app = new Hono();

  // First, so it times everything after it (src/metrics/http.ts: labelled by route pattern).
  app.use(httpMetrics());
  app.use(requestContext({ log: deps.log, trustedProxies: config.TRUSTED_PROXY_COUNT }));
  app.use(securityHeaders({ hsts: config.isProduction, formActions: paypalApprovalOrigins(config) }));
  // IP block rules: 403 on every route but /health and /ready (allow rules only skip rate limits).
  app.use(ipRules(deps));
  app.onError(handleError(() => view));
  app.notFound(handleNotFound(() => view));
  // A NUL in a page's address: 400 (the JSON API answers its own, src/web/api/v1/no-nul.ts).
  app.use(refuseNulAddress());

  // HTML and JSON compressed by Accept-Encoding (after the security headers, which it keeps).
  app.use(compress());
  // Built files carry a content hash or version in their name: cache them for a year. The
  // build writes .br/.gz copies beside them, served to browsers that accept them.
  const immutable = 'public, max-age=31536000, immutable';
  app.use('/static/build/*', staticFiles({ root: ROOT_DIR, cacheControl: immutable }));
  app.use('/static/vendor/*', staticFiles({ root: ROOT_DIR, cacheControl: immutable }));

  app.get('/health', (c) => c.json({ status: 'ok' }));
  // Prometheus metrics: a bearer token (METRICS_TOKEN), never a session; 404 without one configured.
  app.route('/', metricsRoutes(deps, { public: true }));
  // Ready: the database answers, migrations are applied, the queue runs, and hourly billing
  // is not more than two hours behind while something is owed (domain/operations/billing-readiness.ts).
  app.get('/ready', async (c) => {
    const h = await platformHealth({ db, queueHealthy: deps.queueHealthy });
    return c.json(
      {
        status: h.ready ? 'ready' : 'not_ready',
        checks: h.checks,
        last_billed_hour: h.lastBilledHour?.toISOString() ?? null,
        billing_lag_seconds: h.billingLagSeconds,
        billing_lag_limit_seconds: MAX_BILLING_LAG_SECONDS,
      },
      h.ready ? 200 : 503,
    );
  });

  // The JSON API: bearer tokens only, never cookies, so no CSRF surface.
  app.route('/api/v1', apiV1(deps));
  app.all(
    '/api/*',
    handleNotFound(() => view),
  );

  // Demo only: outside services answered in-process (src/services.ts lists them; clients call
  // them over loopback HTTP). Outside sessions and CSRF, like the services they stand for.
  // Their control surfaces are never among them (tests drive emulators programmatically).
  const emulators = config.emulatorsEnabled ? deps.emulators.mounted : [];
  if (emulators.length) app.use('/_emulators/*', requestBodyLimit({ json: true }));
  for (const emulator of emulators) app.route(emulator.path, emulator.app);

  // Providers' webhooks: authenticated by their signatures, never by a session.
  app.route('/', paypalWebhookRoutes(deps));

  // The HTML app: cookie sessions, rate limits by tier, CSRF on every unsafe request.
  const html = new Hono();
  html.use(sessionLoader({ db, config, clock, cache: deps.sessionCache }));
  // The colour preset of every page (the user's, else the platform default): data-theme on <html>.
  html.use(themeLoader({ db, cache: deps.cache, brandName: config.BRAND_NAME }));
  // Before anything reads a body (CSRF parses forms): oversized bodies are refused unread. After
  // the session (which reads no body): uploads may be larger for signed-in people only.
  const signedIn = (c: Context) => Boolean(c.get('auth'));
  html.use(requestBodyLimit({ larger: UPLOAD_PATHS.map((path) => uploadBodyLimit(config, path, signedIn)) }));
  html.use(actorLoader({ db }));
  html.use(arrearsLoader({ db, config, clock, cache: deps.cache }));
  html.use(headerStatusLoader({ db, cache: deps.cache }));
  html.use(rateLimit({ db, config, clock, limiter: deps.rateLimiter, who: (c) => c.get('auth')?.user ?? null }));
  html.use(csrf({ config }));
  // Impersonation: writes are recorded (the account's own credentials: `account-owner` areas).
  html.use(impersonation({ db, config, clock }));
  // Maintenance mode: unsafe requests from anyone but platform staff get the 503 page (sign-in and sign-out go on).
  html.use(maintenanceGate({ db, clock, cache: deps.cache, view: () => view }));
  html.route('/', maintenancePages({ db, clock, cache: deps.cache, view: () => view }));
  // Announcements: every page's banners come with it (read from the data cache); dismissing one.
  html.use(announcementsLoader({ db, clock, cache: deps.cache }));
  // Anonymous public pages a CDN may keep (ETag, public max-age); every other HTML answer private, no-store.
  html.use(publicCache({ sessionCookie: config.cookieName }));
  html.route('/', announcementPages(deps));
  html.route('/', sseRoutes(deps));
  html.route('/', publicPages(deps, view));
  // Everything else is an area: a prefix behind one guard (src/web/areas.ts).
  for (const area of [
    ...portalAreas(deps, view),
    searchArea(deps, view),
    adminArea(deps, view),
    impersonationArea(deps),
  ])
    mountArea(html, area);
  app.route('/', html);
  return app;
}
