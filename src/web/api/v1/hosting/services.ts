import { randomUUID } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { authorize } from '../../../../domain/access/organization.ts';
import { hostingEnabled } from '../../../../domain/hosting/integration.ts';
import { purchaseHosting } from '../../../../domain/hosting/purchase.ts';
import {
  getService,
  listServices,
  plansOf,
  serviceView,
  SERVICE_STATUSES,
} from '../../../../domain/hosting/services.ts';
import { storePlans, type StorePlan } from '../../../../domain/hosting/store.ts';
import type { ServiceView } from '../../../../domain/hosting/services.ts';
import { toDecimal } from '../../../../lib/money.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { idempotencyKeyHeader, idempotentRoute } from '../idempotency.ts';
import { listAnswer, listOf, PageQuery } from '../pagination.ts';
import { errorResponses, json, Money, pathParam, Timestamp } from '../schemas.ts';

/**
 * Web hosting plans and services (issue 17 item 8): the plans on sale (hosting_view), the
 * organization's services (hosting_view) and buying one (hosting_manage; Idempotency-Key
 * honoured, and the key is the purchase key too: a retry never makes a second service or
 * charge). Cancelling is DELETE /hosting/services/{id} (billing.ts); a service's site and data
 * are its sub-resources (site.ts, data.ts).
 */

const tags = ['hosting'];
const Id = z.object({ id: pathParam('id', 'Hosting service id.') });
const FOREIGN = { 404: 'No such hosting service in the acting organization (another organization’s id is not found).' };

const Resource = z
  .object({
    name: z
      .string()
      .openapi({ example: 'diskspace', description: 'The panel’s resource name (diskspace and transfer in bytes).' }),
    total: z.number().nullable().openapi({ description: 'null: unlimited.' }),
  })
  .openapi('HostingResource');

const Plan = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    name: z.string(),
    description: z.string(),
    monthly_price: Money,
    currency: z.string(),
    resources: z.array(Resource),
    php_versions: z.array(z.string()),
  })
  .openapi('HostingPlan');

export const Service = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    domain: z.string().openapi({ example: 'example.org' }),
    status: z.enum(SERVICE_STATUSES as [string, ...string[]]).openapi({
      description:
        '`provisioning` (being set up), `active`, `suspended` (unpaid or by staff), `cancelled`, `failed` (the purchase was undone and the first month refunded; see `failure`).',
    }),
    plan: z.object({ id: z.string().openapi({ format: 'uuid' }), name: z.string() }),
    monthly_price: Money,
    currency: z.string(),
    server_ips: z.array(z.string()),
    php_version: z.string().nullable(),
    period_start: Timestamp.nullable(),
    next_renewal: Timestamp.nullable().openapi({ description: 'The end of the paid period; null until active.' }),
    cancel_at_period_end: z.boolean(),
    failure: z.string().nullable(),
    created_at: Timestamp,
  })
  .openapi('HostingService');

const CreateBody = z
  .object({
    plan_id: z.string().openapi({ format: 'uuid' }),
    domain: z.string().max(300).openapi({ example: 'example.org' }),
  })
  .openapi('HostingServiceCreate');

const ServiceQuery = PageQuery.extend({
  status: z.string().max(20).optional().openapi({ description: 'One of the service statuses.' }),
});

const presentPlan = (p: StorePlan, currency: string) =>
  Plan.parse({
    id: p.id,
    name: p.name,
    description: p.description,
    monthly_price: toDecimal(p.monthlyPrice, 2),
    currency,
    resources: p.resources.map((r) => ({ name: r.name, total: r.total })),
    php_versions: p.phpVersions,
  });

export const presentService = (s: ServiceView, currency: string) =>
  Service.parse({
    id: s.id,
    domain: s.domain,
    status: s.status,
    plan: s.plan,
    monthly_price: toDecimal(s.monthlyPrice, s.monthlyPrice % 10_000n === 0n ? 2 : 6),
    currency,
    server_ips: s.serverIps,
    php_version: s.phpVersion,
    period_start: s.periodStart?.toISOString() ?? null,
    next_renewal: s.periodEnd?.toISOString() ?? null,
    cancel_at_period_end: s.cancelAtPeriodEnd,
    failure: s.failure,
    created_at: s.createdAt.toISOString(),
  });

export function hostingServiceRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const currency = deps.config.BILLING_CURRENCY;

  const plans = createRoute({
    method: 'get',
    path: '/hosting/plans',
    tags,
    operationId: 'listHostingPlans',
    summary: 'The web hosting plans on sale, in display order (needs `hosting_view`); none while hosting is off',
    ...secured,
    responses: {
      200: { description: 'Every plan on sale (one page).', ...json(listOf(Plan).openapi('HostingPlanList')) },
      ...errorResponses([401, 403, 429]),
    },
  });
  app.openapi(plans, async (c) => {
    authorize(caller(c), 'hosting_view');
    const on = await hostingEnabled(deps.db, { cache: deps.cache });
    const items = on ? await storePlans(deps.db, { cache: deps.cache }) : [];
    return c.json(
      listAnswer(items, null, (p) => presentPlan(p, currency)),
      200,
    );
  });

  const list = createRoute({
    method: 'get',
    path: '/hosting/services',
    tags,
    operationId: 'listHostingServices',
    summary: 'The organization’s hosting services, newest first (needs `hosting_view`)',
    ...secured,
    request: { query: ServiceQuery },
    responses: {
      200: { description: 'One page of services.', ...json(listOf(Service).openapi('HostingServiceList')) },
      ...errorResponses([401, 403, 422, 429]),
    },
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const page = await listServices(deps.db, caller(c), { status: q.status, limit: q.limit, cursor: q.cursor ?? null });
    return c.json(
      listAnswer(page.items, page.nextCursor, (s) => presentService(s, currency)),
      200,
    );
  });

  const create = createRoute({
    method: 'post',
    path: '/hosting/services',
    tags,
    operationId: 'createHostingService',
    summary: 'Buy a hosting plan for a domain; the first month is charged now (needs `hosting_manage`)',
    description:
      'The website is set up at once when the hosting platform answers (`active`); when it is slow, the service stays `provisioning` and is finished in the background (poll GET). If it cannot be set up, the service is `failed` with a `failure` and the first month is refunded to the wallet. With `Idempotency-Key`, a retry answers with the same service and never charges twice.',
    ...idempotentRoute(deps),
    request: {
      headers: idempotencyKeyHeader(
        'Any unique string (a UUID): a retry with the same key answers with the same service.',
      ),
      body: { required: true, ...json(CreateBody) },
    },
    responses: {
      201: { description: 'The service (`active`, `provisioning` or `failed`).', ...json(Service) },
      ...errorResponses([400, 401, 403, 422, 429], {
        422: 'Validation failed (`fields`: plan_id, domain — with why the domain cannot be hosted), the wallet does not cover the first month (`insufficient_funds`), or hosting is off (`hosting_closed`).',
      }),
    },
  });
  app.openapi(create, async (c) => {
    const b = c.req.valid('json');
    const key = c.req.header('idempotency-key')?.trim() || randomUUID();
    const row = await purchaseHosting(deps, caller(c), { planId: b.plan_id, domain: b.domain, key });
    const plan = (await plansOf(deps.db, [row.plan_id])).get(row.plan_id)!;
    return c.json(presentService(serviceView(row, plan), currency), 201);
  });

  const get = createRoute({
    method: 'get',
    path: '/hosting/services/{id}',
    tags,
    operationId: 'getHostingService',
    summary: 'One hosting service (needs `hosting_view`)',
    ...secured,
    request: { params: Id },
    responses: {
      200: { description: 'The service.', ...json(Service) },
      ...errorResponses([401, 403, 404, 429], FOREIGN),
    },
  });
  app.openapi(get, async (c) =>
    c.json(presentService(await getService(deps.db, caller(c), c.req.valid('param').id), currency), 200),
  );

  return app;
}
