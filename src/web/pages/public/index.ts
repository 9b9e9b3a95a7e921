import { Hono } from 'hono';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';
import { accountPages } from './account.ts';
import { apiDocsPages } from './api-docs.ts';
import { authPages } from './auth.ts';
import { blogPages } from './blog.ts';
import { contentPages } from './content.ts';
import { contactPages } from './contact.ts';
import { statusPages } from './status.ts';
import { brandingRoutes } from './branding.ts';
import { seoRoutes } from './seo.ts';
import { sitePages } from './site.ts';

/** Anonymous pages: home, pricing, regions, robots.txt and sitemap.xml, sign in, registration, password reset, the API reference. */
export function publicPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.route('/', sitePages(deps, view));
  app.route('/', seoRoutes(deps));
  app.route('/', authPages(deps, view));
  app.route('/', accountPages(deps, view));
  app.route('/', apiDocsPages(deps, view));
  app.route('/', blogPages(deps, view));
  app.route('/', contentPages(deps, view));
  app.route('/', contactPages(deps, view));
  app.route('/', statusPages(deps, view));
  app.route('/', brandingRoutes(deps));
  return app;
}
