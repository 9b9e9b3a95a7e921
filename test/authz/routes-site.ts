import type { Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for the storefront (pricing, regions, robots.txt, sitemap.xml: public),
 * the API reference (issue 16 item 12: public, the same for everyone)
 * and the admin dashboard (issue 16 item 9: platform staff only), spread into ROUTES by
 * routes.ts.
 */
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});

export const SITE_ROUTES: Record<string, Requirement> = {
  // The storefront (issue 16 items 1 and 3): public, the same catalogue for everyone.
  'GET /pricing': { auth: 'public', done: page('Pricing', 'rel="canonical"', 'property="og:title"') },
  'GET /regions': { auth: 'public', done: page('Regions', 'rel="canonical"') },
  'GET /robots.txt': { auth: 'public', done: { status: 200, shows: ['Disallow: /admin', 'Sitemap: '] } },
  'GET /sitemap.xml': { auth: 'public', done: { status: 200, shows: ['<urlset', '/pricing</loc>'] } },
  'GET /api-docs': {
    auth: 'public',
    done: page('API reference', 'id="op-listInstances"', 'Authorization: Bearer $SKYPANEL_API_KEY', 'data-try'),
  },
  'GET /admin': {
    auth: 'admin',
    done: page('Admin', 'Revenue per day', 'role="img"', 'href="/admin/billing/arrears" data-testid="figure-arrears"'),
  },
};
