import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requirePlatformAdmin } from '../../../../../domain/access/guard.ts';
import {
  getBillingRun,
  listBillingRuns,
  startBillingRun,
  type BillingRunView,
} from '../../../../../domain/metering/runs.ts';
import { toDecimal } from '../../../../../lib/money.ts';
import type { AppDeps } from '../../../../context.ts';
import { caller, requireToken, secured } from '../../bearer-auth.ts';
import { listAnswer, listOf, PageQuery } from '../../pagination.ts';
import { errorResponses, json, Money, pathParam, Timestamp } from '../../schemas.ts';

const requireStaff: MiddlewareHandler = async (c, next) => {
  requirePlatformAdmin(c.get('actor'));
  await next();
};
const staff = { ...secured, middleware: [requireToken, requireStaff] as [MiddlewareHandler, MiddlewareHandler] };
const REFUSED = { 403: 'Not a platform admin, or an API key.', 404: 'No such billing run.' };
const tags = ['admin'];

export const BillingRun = z
  .object({
    id: z.uuid(),
    hour_start: Timestamp.openapi({ description: 'The UTC clock hour billed.' }),
    status: z.enum(['queued', 'running', 'succeeded', 'failed']).openapi({
      description:
        '`queued`: waiting for a worker; `running`: billing; `succeeded`: the hour is billed; `failed`: see `errors`.',
    }),
    trigger: z.enum(['schedule', 'catch_up', 'admin']),
    requested_by: z.uuid().nullable(),
    worker: z.string().nullable().openapi({ description: 'host:pid of the process that ran it.' }),
    instances_charged: z.number().int(),
    amount: Money,
    currency: z.string().length(3),
    zero_charges: z.number().int().openapi({ description: 'Charges recorded at zero: the monthly cap was reached.' }),
    skipped: z.number().int(),
    skipped_reasons: z.record(z.string(), z.number().int()),
    errors: z.array(z.string()),
    duration_ms: z.number().int().nullable(),
    created_at: Timestamp,
    started_at: Timestamp.nullable(),
    finished_at: Timestamp.nullable(),
  })
  .openapi('BillingRun');

const BillingRunDetail = BillingRun.extend({
  organizations: z.array(
    z.object({ organization_id: z.uuid(), name: z.string(), instances: z.number().int(), amount: Money }),
  ),
}).openapi('BillingRunDetail');

const iso = (d: Date | null) => d?.toISOString() ?? null;
const exact = (m: bigint) => toDecimal(m, m % 10_000n === 0n ? 2 : 6);
export const presentRun = (r: BillingRunView): z.infer<typeof BillingRun> =>
  BillingRun.parse({
    id: r.id,
    hour_start: r.hourStart.toISOString(),
    status: r.status,
    trigger: r.trigger,
    requested_by: r.requestedBy,
    worker: r.worker,
    instances_charged: r.instancesCharged,
    amount: exact(r.amount),
    currency: r.currency,
    zero_charges: r.zeroCharges,
    skipped: r.skipped,
    skipped_reasons: r.skippedReasons,
    errors: r.errors,
    duration_ms: r.durationMs,
    created_at: r.createdAt.toISOString(),
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
  });

const StartBody = z.object({
  hour: z.iso.datetime({ offset: true }).optional().openapi({
    example: '2026-12-06T09:00:00Z',
    description: 'The start of a clock hour, now or past; default: the current hour (database clock).',
  }),
});

/** Runs of the hourly billing engine for staff (a platform admin's access token): list, start, read. */
export function adminBillingRunRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const list = createRoute({
    method: 'get',
    path: '/admin/billing/runs',
    tags,
    operationId: 'adminListBillingRuns',
    summary: 'Billing runs, newest first, with their status and outcome',
    ...staff,
    request: { query: PageQuery },
    responses: {
      200: { description: 'One page of runs.', ...json(listOf(BillingRun).openapi('BillingRunList')) },
      ...errorResponses([401, 403, 422, 429], REFUSED),
    },
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const page = await listBillingRuns(deps.db, caller(c), { limit: q.limit, cursor: q.cursor ?? null });
    return c.json(listAnswer(page.items, page.nextCursor, presentRun), 200);
  });

  const start = createRoute({
    method: 'post',
    path: '/admin/billing/runs',
    tags,
    operationId: 'adminStartBillingRun',
    summary: 'Start a billing run of the current hour or a past (missed) one',
    description:
      'Queues the run and answers with it (`queued`); the job bills the hour. Hours already charged are never charged again.',
    ...staff,
    request: { body: { required: false, ...json(StartBody) } },
    responses: {
      202: { description: 'The run, queued.', ...json(BillingRun) },
      ...errorResponses([400, 401, 403, 409, 422, 429], {
        ...REFUSED,
        409: 'A run of that hour is already queued or running.',
        422: 'A future hour, or a time that is not the start of a clock hour (`fields.hour`).',
      }),
    },
  });
  app.openapi(start, async (c) => {
    const hour = (c.req.valid('json') as z.infer<typeof StartBody> | undefined)?.hour;
    const run = await startBillingRun(deps, caller(c), { hour: hour ? new Date(hour) : undefined });
    return c.json(presentRun(run), 202);
  });

  const get = createRoute({
    method: 'get',
    path: '/admin/billing/runs/{id}',
    tags,
    operationId: 'adminGetBillingRun',
    summary: 'One billing run, with what it charged per organization',
    ...staff,
    request: { params: z.object({ id: pathParam('id', 'Run id.') }) },
    responses: {
      200: { description: 'The run.', ...json(BillingRunDetail) },
      ...errorResponses([401, 403, 404, 429], REFUSED),
    },
  });
  app.openapi(get, async (c) => {
    const run = await getBillingRun(deps.db, caller(c), c.req.valid('param').id);
    return c.json(
      BillingRunDetail.parse({
        ...presentRun(run),
        organizations: run.organizations.map((o) => ({
          organization_id: o.organizationId,
          name: o.name,
          instances: o.instances,
          amount: exact(o.amount),
        })),
      }),
      200,
    );
  });

  return app;
}
