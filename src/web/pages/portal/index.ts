import { Hono } from 'hono';
import { userOrganizations } from '../../../domain/accounts/me.ts';
import { resendVerification } from '../../../domain/accounts/profile.ts';
import type { Area } from '../../areas.ts';
import type { AppDeps } from '../../context.ts';
import { refererPath } from '../../local-path.ts';
import { flash, redirect, type Renderer } from '../../render.ts';
import { activityExportPages, activityPages } from './activity.ts';
import { apiKeyPages } from './api-keys.ts';
import { billingPages } from './billing/index.ts';
import { consoleTicketPages } from './console.ts';
import { consolePage } from './console-page.ts';
import { transferPages } from './billing/transfer.ts';
import { firewallPages } from './firewalls/index.ts';
import { hostingPages } from './hosting/index.ts';
import { invoicePages } from './invoices.ts';
import { notificationPages } from './notifications.ts';
import { liveRegionPages } from '../../realtime/regions.ts';
import { notePages } from './notes.ts';
import { supportPages } from './support.ts';
import { organizationAreas } from './organizations/index.ts';
import { organizationServerSummary } from '../../../domain/servers/summary.ts';
import { securityPages } from './security.ts';
import { serverPages } from './servers/index.ts';
import { settingsPages } from './settings.ts';
import { sshKeyPages } from './ssh-keys.ts';
import { webhookPages } from './webhooks.ts';

/**
 * The signed-in customer area, one entry per prefix; app.ts mounts each behind its guard
 * (`mountArea`). The account's own credentials and access are `account-owner` areas, so an
 * admin impersonating the account can look but not change them.
 */
export function portalAreas(deps: AppDeps, view: Renderer): Area[] {
  const settings = settingsPages(deps, view);
  const security = securityPages(deps, view);
  const account = new Hono();
  account.route('/', settings.profile);
  account.route('/', security.overview);
  return [
    { prefix: '/dashboard', access: 'signed-in', pages: dashboardPages(deps, view) },
    { prefix: '/email-verification', access: 'signed-in', pages: emailVerificationPages(deps) },
    { prefix: '/settings', access: 'signed-in', pages: account },
    { prefix: '/settings/email', access: 'account-owner', pages: settings.email },
    { prefix: '/settings/password', access: 'account-owner', pages: settings.password },
    { prefix: '/settings/notifications', access: 'account-owner', pages: settings.notifications },
    { prefix: '/settings/two-factor', access: 'account-owner', pages: security.twoFactor },
    { prefix: '/settings/sessions', access: 'account-owner', pages: security.sessions },
    { prefix: '/settings/api-keys', access: 'account-owner', pages: apiKeyPages(deps, view) },
    ...organizationAreas(deps, view),
    // The person's own notifications: an impersonating admin may look, not mark them read.
    { prefix: '/notifications', access: 'account-owner', pages: notificationPages(deps, view) },
    { prefix: '/wallet', access: 'signed-in', pages: liveRegionPages(deps, view) },
    { prefix: '/activity', access: 'signed-in', pages: activityPages(deps, view) },
    { prefix: '/activity.csv', access: 'signed-in', pages: activityExportPages(deps) },
    { prefix: '/invoices', access: 'signed-in', pages: invoicePages(deps, view) },
    { prefix: '/billing/transfer', access: 'signed-in', pages: transferPages(deps, view) },
    { prefix: '/billing', access: 'signed-in', pages: billingPages(deps, view) },
    { prefix: '/vps', access: 'signed-in', pages: consolePage(deps, view) },
    { prefix: '/vps', access: 'signed-in', pages: serverPages(deps, view) },
    { prefix: '/vps/:id/console', access: 'signed-in', pages: consoleTicketPages(deps) },
    { prefix: '/ssh-keys', access: 'signed-in', pages: sshKeyPages(deps, view) },
    { prefix: '/notes', access: 'signed-in', pages: notePages(deps, view) },
    { prefix: '/support', access: 'signed-in', pages: supportPages(deps, view) },
    { prefix: '/firewalls', access: 'signed-in', pages: firewallPages(deps, view) },
    { prefix: '/hosting', access: 'signed-in', pages: hostingPages(deps, view) },
    { prefix: '/webhooks', access: 'signed-in', pages: webhookPages(deps, view) },
  ];
}

/** /dashboard: the active organization at a glance. */
function dashboardPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/', async (c) => {
    const user = c.get('auth')!.user;
    const orgs = await userOrganizations(deps.db, user.id, { cache: deps.cache });
    const active = orgs.find((o) => o.id === user.activeOrganizationId) ?? orgs[0] ?? null;
    const servers =
      active && active.permissions.includes('vps_view')
        ? await organizationServerSummary(deps.db, active.id, { cache: deps.cache })
        : null;
    return view.page(
      c,
      'portal/dashboard',
      { organizations: orgs, active, servers },
      { layout: 'portal', title: 'Dashboard' },
    );
  });
  return app;
}

/** /email-verification: send the confirmation link again. */
function emailVerificationPages(deps: AppDeps) {
  const app = new Hono();
  app.post('/', async (c) => {
    const sent = await resendVerification(deps, c.get('auth')!.user.id);
    flash(
      c,
      sent ? 'We sent a new confirmation link. Check your inbox.' : 'Your email address is already confirmed.',
      'info',
    );
    return redirect(c, refererPath(c, deps.config.publicUrl, '/dashboard'));
  });
  return app;
}
