import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { listServerCharges, type ServerChargeView } from '../../../../domain/servers/usage.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { listAnswer, listOf, PageQuery } from '../pagination.ts';
import { errorResponses, json, Money, Timestamp } from '../schemas.ts';
import { FOREIGN, Id } from './routes.ts';
import { exact } from './schemas.ts';

export const Charge = z
  .object({
    hour_start: Timestamp.openapi({ description: 'The UTC clock hour charged.' }),
    amount: Money.openapi({ description: 'What was charged for the hour (up to 6 decimals).' }),
    rate: Money.openapi({ description: 'The hourly rate in force at the start of the hour.' }),
    capped: z.boolean().openapi({ description: 'True when the monthly cap made the charge less than the rate.' }),
    currency: z.string().length(3),
  })
  .openapi('InstanceCharge');

const present = (c: ServerChargeView): z.infer<typeof Charge> =>
  Charge.parse({
    hour_start: c.hourStart.toISOString(),
    amount: exact(c.amount),
    rate: exact(c.rate),
    capped: c.capped,
    currency: c.currency,
  });

/**
 * GET /vps/{id}/charges: the instance's hourly charges, newest first. Needs `vps_view`, like
 * the instance itself, whose price and cost this month the server page already shows; the
 * wallet's own lines stay `billing_view` (GET /wallet/transactions).
 */
export function vpsChargeRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const list = createRoute({
    method: 'get',
    path: '/vps/{id}/charges',
    tags: ['vps'],
    operationId: 'listInstanceCharges',
    summary: 'The instance’s hourly charges, newest hour first (needs `vps_view`)',
    ...secured,
    request: { params: Id, query: PageQuery },
    responses: {
      200: { description: 'One page of charges.', ...json(listOf(Charge).openapi('InstanceChargeList')) },
      ...errorResponses([401, 403, 404, 422, 429], FOREIGN),
    },
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const page = await listServerCharges(deps.db, caller(c), c.req.valid('param').id, {
      limit: q.limit,
      cursor: q.cursor ?? null,
    });
    return c.json(listAnswer(page.items, page.nextCursor, present), 200);
  });

  return app;
}
