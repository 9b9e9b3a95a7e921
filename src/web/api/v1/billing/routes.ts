import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { billingSummary } from '../../../../domain/wallets/summary.ts';
import { walletFor } from '../../../../domain/wallets/wallet.ts';
import { toDecimal } from '../../../../lib/money.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { errorResponses, json, Money } from '../schemas.ts';
import { exact } from '../vps/schemas.ts';

const VIEW = {
  403: 'The caller lacks `billing_view` in the acting organization.',
  404: '`X-Organization-Id` names an organization the caller is not in.',
};

export const BillingSummary = z
  .object({
    balance: Money,
    month_to_date: Money.openapi({ description: 'Usage this UTC calendar month, refunds deducted.' }),
    monthly_estimate: Money.openapi({ description: 'The billed servers for a full month at today’s prices.' }),
    hourly_burn: Money.openapi({ description: 'What the billed servers cost per hour now (up to 6 decimals).' }),
    runway_days: z.number().nullable().openapi({
      description:
        'Days the balance lasts at the current burn: balance / (hourly_burn × 24), rounded down to a tenth; 0 when the balance is zero or below; null when nothing burns.',
      example: 12.5,
    }),
    active_servers: z.number().int().openapi({ description: 'Servers running now.' }),
    billed_servers: z.number().int().openapi({ description: 'Servers billed every hour, running or not.' }),
    currency: z.string().length(3),
  })
  .openapi('BillingSummary');

/** GET /billing/summary (needs `billing_view`): the numbers of the portal's /billing cards. */
export function billingRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const summary = createRoute({
    method: 'get',
    path: '/billing/summary',
    tags: ['wallet'],
    operationId: 'getBillingSummary',
    summary: 'Balance, spend this month, monthly estimate and runway (needs `billing_view`)',
    ...secured,
    responses: {
      200: { description: 'The summary.', ...json(BillingSummary) },
      ...errorResponses([401, 403, 404, 429], VIEW),
    },
  });
  app.openapi(summary, async (c) => {
    const wallet = await walletFor(deps.db, caller(c));
    const s = await billingSummary(deps.db, wallet, deps.clock.now());
    return c.json(
      BillingSummary.parse({
        balance: toDecimal(s.balance, 2),
        month_to_date: exact(s.monthToDate),
        monthly_estimate: toDecimal(s.monthlyEstimate, 2),
        hourly_burn: exact(s.hourlyBurn),
        runway_days: s.runwayDays,
        active_servers: s.activeServers,
        billed_servers: s.billedServers,
        currency: s.currency,
      }),
      200,
    );
  });

  return app;
}
