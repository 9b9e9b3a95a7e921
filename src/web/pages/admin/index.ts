import { Hono } from 'hono';
import { listOutbox, readOutboxEmail, recentJobRuns } from '../../../domain/operations/outbox.ts';
import type { Area } from '../../areas.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';
import { adminActivityPages } from './activity.ts';
import { adminArrearsPages } from './arrears.ts';
import { adminBillingPages } from './billing.ts';
import { adminBillingRunPages } from './billing-runs.ts';
import { adminDashboardPages } from './dashboard.ts';
import { planPages } from './catalogue/plans.ts';
import { providerPages } from './catalogue/providers.ts';
import { serverSettingsPages } from './catalogue/settings.ts';
import { adminFraudPages } from './fraud.ts';
import { adminHostingPages } from './hosting.ts';
import { adminHostingServicePages } from './hosting-services.ts';
import { adminSecurityPages } from './security.ts';
import { adminPaymentPages } from './payment.ts';
import { platformSettingsPages } from './platform-settings.ts';
import { adminAnnouncementPages } from './announcements.ts';
import { adminContactPages } from './contact.ts';
import { adminStatusPages } from './status.ts';
import { adminEmailTemplatePages } from './email-templates.ts';
import { adminDocsPages } from './content/docs.ts';
import { adminFaqPages } from './content/faq.ts';
import { adminSitePages } from './content/pages.ts';
import { adminBlogPages } from './content/blog.ts';
import { adminServerPages } from './servers.ts';
import { adminSupportPages } from './support-settings.ts';
import { adminTicketPages } from './tickets.ts';
import { consoleAdminPages } from '../portal/console.ts';
import { adminTransferPages } from './transfer.ts';
import { adminPeoplePages } from './users.ts';

/** The platform staff area, /admin: one area, so every staff page is behind the platform-admin guard. */
export function adminArea(deps: AppDeps, view: Renderer): Area {
  return { prefix: '/admin', access: 'platform-admin', pages: adminPages(deps, view) };
}

function adminPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = { layout: 'admin' as const };

  app.route('/', adminDashboardPages(deps, view));

  app.get('/outbox', async (c) => {
    const to = c.req.query('to')?.trim().toLowerCase() ?? '';
    const page = Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1);
    const { emails, hasMore } = await listOutbox(deps.db, c.get('actor')!, { to, page });
    return view.page(
      c,
      'admin/outbox',
      { emails, to, page, hasMore, transport: deps.config.mailTransport },
      { ...opts, title: 'Mail outbox' },
    );
  });

  app.get('/outbox/:id', async (c) => {
    const email = await readOutboxEmail(deps, c.get('actor')!, c.req.param('id'));
    if (!email) return c.notFound();
    return view.page(c, 'admin/outbox-email', { email }, { ...opts, title: email.subject });
  });

  app.get('/jobs', async (c) =>
    view.page(c, 'admin/job-runs', { runs: await recentJobRuns(deps.db) }, { ...opts, title: 'Job runs' }),
  );

  app.route('/', adminPeoplePages(deps, view));
  app.route('/', adminActivityPages(deps, view));
  app.route('/fraud', adminFraudPages(deps, view));
  app.route('/security', adminSecurityPages(deps, view));
  app.route('/billing/payments', adminPaymentPages(deps, view));
  app.route('/billing/runs', adminBillingRunPages(deps, view));
  app.route('/billing/arrears', adminArrearsPages(deps, view));
  app.route('/billing/transfer', adminTransferPages(deps, view));
  app.route('/billing', adminBillingPages(deps, view));
  app.route('/providers', providerPages(deps, view));
  app.route('/plans', planPages(deps, view));
  app.route('/server-settings', serverSettingsPages(deps, view));
  app.route('/hosting/services', adminHostingServicePages(deps, view));
  app.route('/hosting', adminHostingPages(deps, view));
  app.route('/platform-settings', platformSettingsPages(deps, view));
  app.route('/announcements', adminAnnouncementPages(deps, view));
  app.route('/contact', adminContactPages(deps, view));
  app.route('/status', adminStatusPages(deps, view));
  app.route('/email-templates', adminEmailTemplatePages(deps, view));
  app.route('/content/faq', adminFaqPages(deps, view));
  app.route('/content/docs', adminDocsPages(deps, view));
  app.route('/content/pages', adminSitePages(deps, view));
  app.route('/content/blog', adminBlogPages(deps, view));
  app.route('/tickets', adminTicketPages(deps, view));
  app.route('/support', adminSupportPages(deps, view));
  app.route('/servers', adminServerPages(deps, view));
  app.route('/servers', consoleAdminPages(deps));
  return app;
}
