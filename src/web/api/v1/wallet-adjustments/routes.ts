import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requirePlatformAdmin } from '../../../../domain/access/guard.ts';
import { adjustWallet, newAdjustmentId } from '../../../../domain/wallets/adjustments.ts';
import { toDecimal } from '../../../../lib/money.ts';
import type { AppDeps } from '../../../context.ts';
import { caller } from '../bearer-auth.ts';
import { idempotentRoute, idempotencyKeyHeader } from '../idempotency.ts';
import { OrgParams } from '../organizations/schemas.ts';
import { errorResponses, json } from '../schemas.ts';
import { AdjustmentRequest, WalletAdjustment } from './schemas.ts';

/** Platform staff only, before the body is read: a platform admin's access token (API keys never are). */
const requireStaff: MiddlewareHandler = async (c, next) => {
  requirePlatformAdmin(c.get('actor'));
  await next();
};

/** Staff billing over the API: manual wallet adjustments (issue 4 item 13). */
export function walletAdjustmentRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const route = createRoute({
    method: 'post',
    path: '/admin/organizations/{id}/wallet/adjustments',
    tags: ['admin'],
    operationId: 'adjustWallet',
    summary: "Credit or debit an organization's wallet by hand (platform admin access token only)",
    ...idempotentRoute(deps, { guards: [requireStaff] }),
    request: {
      headers: idempotencyKeyHeader('A retry with the same key and body replays the first answer and posts once.'),
      params: OrgParams,
      body: { required: true, ...json(AdjustmentRequest) },
    },
    responses: {
      201: { description: 'Posted.', ...json(WalletAdjustment) },
      ...errorResponses([400, 401, 403, 404, 409, 422, 429], {
        403: 'Not a platform admin, or an API key.',
        404: 'No such organization.',
        422: 'Validation failed, the balance does not cover the debit, or the Idempotency-Key was used for another request.',
      }),
    },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const done = await adjustWallet(deps, caller(c), {
      organizationId: c.req.valid('param').id,
      values: { ...body, adjustment_id: newAdjustmentId(), allow_negative: body.allow_negative ?? false },
    });
    return c.json(
      WalletAdjustment.parse({ id: done.id, balance: toDecimal(done.balance, 2), currency: done.currency }),
      201,
    );
  });
  return app;
}
