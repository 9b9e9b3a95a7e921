import { Hono } from 'hono';
import { userOrganizations } from '../../../domain/accounts/me.ts';
import { resendVerification } from '../../../domain/accounts/profile.ts';
import type { AppDeps } from '../../context.ts';
import { refererPath } from '../../local-path.ts';
import { requireUser } from '../../middleware/require-auth.ts';
import { flash, redirect, type Renderer } from '../../render.ts';
import { activityPages } from './activity.ts';
import { billingPages } from './billing/index.ts';
import { invoicePages } from './invoices.ts';
import { settingsPages } from './settings.ts';
import { securityPages } from './security.ts';
import { organizationPages } from './organizations/index.ts';

/** The signed-in customer area. */
export function portalPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  for (const path of ['/dashboard', '/settings', '/settings/*', '/email-verification']) app.use(path, requireUser());

  app.get('/dashboard', async (c) => {
    const user = c.var.auth!.user;
    const orgs = await userOrganizations(deps.db, user.id);
    const active = orgs.find((o) => o.id === user.activeOrganizationId) ?? orgs[0] ?? null;
    return view.page(c, 'portal/dashboard', { organizations: orgs, active }, { layout: 'portal', title: 'Dashboard' });
  });

  app.post('/email-verification', async (c) => {
    const sent = await resendVerification(deps, c.var.auth!.user.id);
    flash(c, sent ? 'We sent a new confirmation link. Check your inbox.' : 'Your email address is already confirmed.', 'info');
    return redirect(c, refererPath(c, deps.config.publicUrl, '/dashboard'));
  });

  app.route('/', settingsPages(deps, view));
  app.route('/', securityPages(deps, view));
  app.route('/', activityPages(deps, view));
  app.route('/', invoicePages(deps, view));
  app.route('/', billingPages(deps, view));
  app.route('/', organizationPages(deps, view));
  return app;
}
