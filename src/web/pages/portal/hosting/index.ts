import { Hono } from 'hono';
import type { AppDeps } from '../../../context.ts';
import type { Renderer } from '../../../render.ts';
import { billingPages } from './billing.ts';
import { dataTabPages } from './data-tabs.ts';
import { servicePages } from './services.ts';
import { siteTabPages } from './site-tabs.ts';
import { storePages } from './store.ts';

/**
 * /hosting: the customer's web hosting (issue 17). The store first, so `/hosting/store` is
 * never read as a service id; then the service list and overview, the site's tabs (domains,
 * DNS, SSL, PHP, control panel), its data tabs (email, databases, WordPress, backups) and
 * cancellation.
 */
export function hostingPages(deps: AppDeps, view: Renderer): Hono {
  const app = new Hono();
  app.route('/', storePages(deps, view));
  app.route('/', servicePages(deps, view));
  app.route('/', siteTabPages(deps, view));
  app.route('/', dataTabPages(deps, view));
  app.route('/', billingPages(deps, view));
  return app;
}
