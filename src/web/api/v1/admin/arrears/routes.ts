import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requirePlatformAdmin } from '../../../../../domain/access/guard.ts';
import { listArrears, type ArrearsView } from '../../../../../domain/dunning/query.ts';
import { dunningConfig } from '../../../../../domain/settings/billing-policy.ts';
import { toDecimal } from '../../../../../lib/money.ts';
import type { AppDeps } from '../../../../context.ts';
import { caller, requireToken, secured } from '../../bearer-auth.ts';
import { listAnswer, listOf } from '../../pagination.ts';
import { errorResponses, json, Money, Timestamp } from '../../schemas.ts';

const requireStaff: MiddlewareHandler = async (c, next) => {
  requirePlatformAdmin(c.get('actor'));
  await next();
};
const staff = { ...secured, middleware: [requireToken, requireStaff] as [MiddlewareHandler, MiddlewareHandler] };
const tags = ['admin'];

export const Arrears = z
  .object({
    organization_id: z.uuid(),
    name: z.string(),
    balance: Money,
    currency: z.string().length(3),
    since: Timestamp.nullable().openapi({
      description: 'When the balance was first seen below zero; null until the job opens the case (within 5 minutes).',
    }),
    status: z.enum(['clear', 'pending', 'notified', 'suspended', 'terminated', 'exempt']).openapi({
      description:
        '`clear`: no case and not below zero (never in this list); `pending`: below zero, no case yet; `notified`: reminders sent; `suspended`: servers powered off; `terminated`: servers deleted; `exempt`: staff exempted it.',
    }),
    next_step: z.enum(['suspension', 'final_notice', 'termination', 'none']),
    next_at: Timestamp.nullable(),
    suspend_at: Timestamp.nullable(),
    terminate_at: Timestamp.nullable().openapi({ description: 'The deletion deadline (after any extension).' }),
    notices: z.number().int(),
    suspended_at: Timestamp.nullable(),
    final_notice_at: Timestamp.nullable(),
    terminated_at: Timestamp.nullable(),
    exempt_reason: z.string().nullable(),
    extended_until: Timestamp.nullable(),
  })
  .openapi('Arrears');

const iso = (d: Date | null) => d?.toISOString() ?? null;
export const presentArrears = (a: ArrearsView): z.infer<typeof Arrears> =>
  Arrears.parse({
    organization_id: a.organizationId,
    name: a.name,
    balance: toDecimal(a.balance, a.balance % 10_000n === 0n ? 2 : 6),
    currency: a.currency,
    since: iso(a.since),
    status: a.status,
    next_step: a.nextStep,
    next_at: iso(a.nextAt),
    suspend_at: iso(a.suspendAt),
    terminate_at: iso(a.terminateAt),
    notices: a.notices,
    suspended_at: iso(a.suspendedAt),
    final_notice_at: iso(a.finalNoticeAt),
    terminated_at: iso(a.terminatedAt),
    exempt_reason: a.exemptReason,
    extended_until: iso(a.extendedUntil),
  });

/** Organizations in arrears for staff (a platform admin's access token). */
export function adminArrearsRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const list = createRoute({
    method: 'get',
    path: '/admin/billing/arrears',
    tags,
    operationId: 'adminListArrears',
    summary: 'Organizations whose balance is below zero, with where their dunning stands',
    description:
      'Longest in arrears first (at most 500). Exemptions and extensions are made on /admin/billing/arrears.',
    ...staff,
    responses: {
      200: {
        description: 'The organizations in arrears.',
        ...json(listOf(Arrears).openapi('ArrearsList')),
      },
      ...errorResponses([401, 403, 429], { 403: 'Not a platform admin, or an API key.' }),
    },
  });
  app.openapi(list, async (c) => {
    const rows = await listArrears(deps.db, caller(c), { now: deps.clock.now(), config: await dunningConfig(deps) });
    // One page: the organizations in arrears are few (at most 500 are listed).
    return c.json(listAnswer(rows, null, presentArrears), 200);
  });
  return app;
}
