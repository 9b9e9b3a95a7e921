import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { cancelService } from '../../../../domain/hosting/cancel.ts';
import { plansOf, serviceView } from '../../../../domain/hosting/services.ts';
import { toDecimal } from '../../../../lib/money.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { errorResponses, json, Money, pathParam } from '../schemas.ts';
import { presentService, Service } from './services.ts';

const Id = z.object({ id: pathParam('id', 'Hosting service id.') });
const Query = z.object({
  refund: z
    .enum(['prorated'])
    .optional()
    .openapi({ description: '`prorated`: cancel now and refund the unused whole days. Absent: cancel at period end.' }),
});

const exact = (m: bigint) => toDecimal(m, m % 10_000n === 0n ? 2 : 6);

/** The service as GET /hosting/services/{id} answers it, and what this call refunded. */
const Cancelled = Service.extend({
  refunded: Money.openapi({
    description: 'What this call refunded to the wallet (0.00 at period end, or when already cancelled).',
  }),
}).openapi('HostingServiceCancellation');

/**
 * Cancelling web hosting (needs `hosting_manage`): `DELETE /hosting/services/{id}` cancels at
 * the end of the paid period (the service stays until then; no refund), `?refund=prorated`
 * cancels now — the website is deleted and the unused whole days go back to the wallet.
 * Repeating either is harmless. The pages (/hosting/:id/cancel) serve the same domain.
 */
export function hostingBillingRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const remove = createRoute({
    method: 'delete',
    path: '/hosting/services/{id}',
    tags: ['hosting'],
    operationId: 'cancelHostingService',
    summary: 'Cancel web hosting at period end, or now with a prorated refund (needs `hosting_manage`)',
    ...secured,
    request: { params: Id, query: Query },
    responses: {
      200: { description: 'The service after the cancellation.', ...json(Cancelled) },
      ...errorResponses([401, 403, 404, 409, 422, 429, 503], {
        404: 'No such hosting service in the acting organization (another organization’s id is not found).',
        409: 'The service is still being set up, or never started.',
        503: 'The hosting panel could not be reached: nothing was changed; try again.',
      }),
    },
  });
  app.openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    const now = c.req.valid('query').refund === 'prorated';
    const s = await cancelService(deps, caller(c), id, { when: now ? 'now' : 'period_end', refund: now });
    const plan = (await plansOf(deps.db, [s.plan_id])).get(s.plan_id)!;
    const service = presentService(serviceView(s, plan), deps.config.BILLING_CURRENCY);
    return c.json(Cancelled.parse({ ...service, refunded: exact(s.refunded) }), 200);
  });
  return app;
}
