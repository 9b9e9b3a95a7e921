import { Hono } from 'hono';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';
import { accountPages } from './account.ts';
import { apiDocsPages } from './api-docs.ts';
import { authPages } from './auth.ts';
import { blogPages } from './blog.ts';
import { brandingRoutes } from './branding.ts';

/** Anonymous pages: home, sign in, registration, password reset, the API reference. */
export function publicPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/', (c) => view.page(c, 'public/home', {}, { title: 'Cloud servers, billed by the hour' }));
  app.route('/', authPages(deps, view));
  app.route('/', accountPages(deps, view));
  app.route('/', apiDocsPages(deps, view));
  app.route('/', blogPages(deps, view));
  app.route('/', brandingRoutes(deps));
  return app;
}
