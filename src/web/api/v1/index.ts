import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ValidationError } from '../../../lib/errors.ts';
import { fieldErrors } from '../../../lib/validation.ts';
import { uploadBodyLimit } from '../../attachments.ts';
import type { AppDeps } from '../../context.ts';
import { requestBodyLimit } from '../../middleware/body-limit.ts';
import { refuseNul } from './no-nul.ts';
import { apiMaintenanceGate } from '../../middleware/maintenance.ts';
import { ipRules } from '../../middleware/ip-rules.ts';
import { errorEnvelope } from '../../errors.ts';
import { activityRoutes } from './activity/routes.ts';
import { apiKeyRoutes } from './api-keys/routes.ts';
import { adminPlanRoutes } from './admin/plans/routes.ts';
import { adminProviderRoutes } from './admin/providers/routes.ts';
import { authRoutes } from './auth/routes.ts';
import { billingRoutes } from './billing/routes.ts';
import { transferRoutes } from './billing/transfer.ts';
import { BEARER, bearerAuth } from './bearer-auth.ts';
import { catalogueRoutes } from './catalogue/routes.ts';
import { invitationRoutes } from './invitations/routes.ts';
import { firewallRoutes } from './firewalls/routes.ts';
import { invoiceRoutes } from './invoices/routes.ts';
import { apiRateLimit } from './limits.ts';
import { meRoutes } from './me/routes.ts';
import { notificationPreferenceRoutes } from './me/notification-preferences.ts';
import { notificationRoutes } from './notifications/routes.ts';
import { memberRoutes } from './members/routes.ts';
import { organizationRoutes } from './organizations/routes.ts';
import { refundRoutes } from './refunds/routes.ts';
import { roleRoutes } from './roles/routes.ts';
import { noteRoutes } from './notes/routes.ts';
import { sshKeyRoutes } from './ssh-keys/routes.ts';
import { ticketRoutes } from './tickets/routes.ts';
import { walletAdjustmentRoutes } from './wallet-adjustments/routes.ts';
import { walletRoutes } from './wallet/routes.ts';
import { vpsActionRoutes } from './vps/actions.ts';
import { vpsChargeRoutes } from './vps/charges.ts';
import { vpsFirewallRoutes } from './vps/firewalls.ts';
import { vpsRoutes } from './vps/routes.ts';
import { webhookRoutes } from './webhooks/routes.ts';
import { adminServerRoutes } from './admin/servers/routes.ts';
import { adminBillingRunRoutes } from './admin/billing-runs/routes.ts';
import { adminArrearsRoutes } from './admin/arrears/routes.ts';
import { adminTicketRoutes } from './admin/tickets/routes.ts';
import { adminSupportSettingRoutes } from './admin/tickets/settings.ts';
import { adminSettingsRoutes } from './admin/settings/routes.ts';
import { hostingBillingRoutes } from './hosting/billing.ts';
import { hostingDataRoutes } from './hosting/data.ts';
import { hostingServiceRoutes } from './hosting/services.ts';
import { hostingSiteRoutes } from './hosting/site.ts';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The JSON API, version 1: bearer tokens only (never cookies), zod-validated input and
 * output, errors as `{ error: { code, message, fields? } }`, and an OpenAPI 3.1 document at
 * `/api/v1/openapi.json` built from the same schemas. Conventions: see `schemas.ts`; lists:
 * `pagination.ts`; callers: `bearer-auth.ts`; money POSTs: `idempotency.ts`.
 */
export function apiV1(deps: AppDeps) {
  const api = new OpenAPIHono({ defaultHook: validationFailed });
  api.onError(httpErrors);

  api.use(async function noStore(c, next) {
    await next();
    // On the response's own headers: c.header() after the response exists rebuilds it around a
    // stream of its body (a third of a JSON list's CPU in profiles). A fetched response's headers
    // are immutable: those still go through the rebuild.
    if (c.res.headers.has('Cache-Control')) return;
    try {
      c.res.headers.set('Cache-Control', 'no-store');
    } catch {
      c.header('Cache-Control', 'no-store');
    }
  });
  // IP block rules (a no-op when the app's own mount already checked this request).
  api.use(ipRules(deps));
  api.use(bearerAuth({ db: deps.db, clock: deps.clock, cache: deps.tokenCache }));
  // Maintenance mode: writes by access tokens and API keys get 503 `maintenance` (a platform admin's token goes on).
  api.use(apiMaintenanceGate({ db: deps.db, clock: deps.clock, cache: deps.cache }));
  // After the caller is known (bearerAuth reads no body): a new ticket or a reply may carry files (multipart),
  // its limit raised to the files allowed, there only, for a caller with a credential only.
  const uploads = [
    uploadBodyLimit(deps.config, /^\/api\/v1\/tickets(\/[^/]+\/replies)?$/, (c) => Boolean(c.get('actor'))),
    // Staff replies over the staff API: raised for platform admins only (anyone else keeps 1 MiB).
    uploadBodyLimit(deps.config, /^\/api\/v1\/admin\/tickets\/[^/]+\/replies$/, (c) =>
      Boolean(c.get('actor')?.isPlatformAdmin),
    ),
  ];
  api.use(requestBodyLimit({ json: true, maxBytes: MAX_BODY_BYTES, larger: uploads }));
  // A NUL in a query parameter or a JSON string: 422 before any handler (PostgreSQL text cannot hold one).
  api.use(refuseNul());
  api.use(apiRateLimit(deps));

  // One sub-app per resource (<resource>/routes.ts, its shapes in <resource>/schemas.ts).
  api.route('/auth', authRoutes(deps));
  api.route('/', meRoutes(deps));
  api.route('/', notificationPreferenceRoutes(deps));
  api.route('/', notificationRoutes(deps));
  api.route('/', apiKeyRoutes(deps));
  api.route('/', activityRoutes(deps));
  api.route('/', organizationRoutes(deps));
  api.route('/', memberRoutes(deps));
  api.route('/', invitationRoutes(deps));
  api.route('/', roleRoutes(deps));
  api.route('/', invoiceRoutes(deps));
  api.route('/', walletRoutes(deps));
  api.route('/', walletAdjustmentRoutes(deps));
  api.route('/', billingRoutes(deps));
  api.route('/', transferRoutes(deps));
  api.route('/', refundRoutes(deps));
  api.route('/', vpsRoutes(deps));
  api.route('/', vpsActionRoutes(deps));
  api.route('/', vpsFirewallRoutes(deps));
  api.route('/', vpsChargeRoutes(deps));
  api.route('/', adminServerRoutes(deps));
  api.route('/', adminBillingRunRoutes(deps));
  api.route('/', adminArrearsRoutes(deps));
  api.route('/', sshKeyRoutes(deps));
  api.route('/', ticketRoutes(deps));
  api.route('/', adminTicketRoutes(deps));
  api.route('/', adminSupportSettingRoutes(deps));
  api.route('/', adminSettingsRoutes(deps));
  api.route('/', noteRoutes(deps));
  api.route('/', firewallRoutes(deps));
  api.route('/', catalogueRoutes(deps));
  api.route('/', adminProviderRoutes(deps));
  api.route('/', adminPlanRoutes(deps));
  api.route('/', hostingServiceRoutes(deps));
  api.route('/', hostingSiteRoutes(deps));
  api.route('/', hostingDataRoutes(deps));
  api.route('/', hostingBillingRoutes(deps));
  api.route('/', webhookRoutes(deps));

  api.openAPIRegistry.registerComponent('securitySchemes', BEARER, {
    type: 'http',
    scheme: 'bearer',
    description: 'An access token from POST /auth/tokens (`spt_…`), sent as `Authorization: Bearer <token>`.',
  });
  api.doc31('/openapi.json', documentConfig(deps));
  built.set(deps, api);
  return api;
}

/** The API each app built (one per `deps`), so the reference reads the routes that are served. */
const built = new WeakMap<AppDeps, OpenAPIHono>();

function documentConfig(deps: AppDeps) {
  return {
    openapi: '3.1.0',
    info: { title: `${deps.config.BRAND_NAME} API`, version: '1' },
    servers: [{ url: `${deps.config.publicUrl}/api/v1` }],
  };
}

/**
 * The document `/api/v1/openapi.json` serves, from the API the app mounted with these `deps`
 * (the API reference at /api-docs renders it); without one, the routes are built for it.
 */
export function openApiDocument(deps: AppDeps) {
  return (built.get(deps) ?? apiV1(deps)).getOpenAPI31Document(documentConfig(deps));
}

/** Zod rejections of params, query or body: 422 naming each bad field, like domain ValidationErrors. */
function validationFailed(result: { success: boolean; error?: unknown }, c: Context) {
  if (result.success) return;
  const err = new ValidationError(fieldErrors(result.error as Parameters<typeof fieldErrors>[0]));
  return c.json(errorEnvelope(err.code, err.message, err.fields), 422);
}

const httpCodes: Record<number, string> = { 413: 'payload_too_large', 415: 'unsupported_media_type' };

/**
 * Framework-level refusals (malformed JSON, wrong content type) get a specific code here;
 * everything else — domain AppErrors included — goes on to the app's onError, which already
 * answers `/api/*` with the envelope.
 */
function httpErrors(err: Error, c: Context): Response {
  if (!(err instanceof HTTPException) || err.status >= 500) throw err;
  // hono's validator says "Malformed JSON in request body".
  if (err.status === 400 && /json/i.test(err.message))
    return c.json(errorEnvelope('invalid_json', 'The request body is not valid JSON.'), 400);
  return c.json(
    errorEnvelope(httpCodes[err.status] ?? 'bad_request', err.message || 'The request could not be processed.'),
    err.status,
  );
}
