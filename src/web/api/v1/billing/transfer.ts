import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { buyPack, type CreditView } from '../../../../domain/transfer/manage.ts';
import { gbDecimal } from '../../../../domain/transfer/units.ts';
import { transferOverview } from '../../../../domain/transfer/usage.ts';
import { toDecimal } from '../../../../lib/money.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { idempotentRoute, idempotencyKeyHeader, replayedHeader } from '../idempotency.ts';
import { errorResponses, json, Money, Timestamp } from '../schemas.ts';

/** GB as a decimal string (2^30 bytes a GB, six decimals, rounded down); bytes exact beside it. */
const Gb = z
  .string()
  .regex(/^\d+\.\d{6}$/)
  .openapi({ example: '12.500000', description: 'GB (2^30 bytes), six decimals.' });
const Bytes = z
  .string()
  .regex(/^\d+$/)
  .openapi({ example: '13421772800', description: 'Exact bytes, as a decimal string.' });

export const TransferCredit = z
  .object({
    id: z.uuid(),
    source: z.enum(['pack', 'grant', 'close_return']),
    pack_name: z.string().nullable(),
    total_gb: Gb,
    remaining_gb: Gb,
    remaining_bytes: Bytes,
    created_at: Timestamp,
  })
  .openapi('TransferCredit');

const Pool = z.object({
  region: z.string(),
  region_label: z.string(),
  included_gb: Gb,
  used_gb: Gb,
  used_bytes: Bytes,
  overage_gb: Gb,
  projected_gb: Gb,
  projected_overage_gb: Gb,
  projected_cost: Money,
  price_per_gb: Money,
  charged: Money,
  charged_from_credit_gb: Gb,
  closed: z.boolean(),
});

export const TransferUsage = z
  .object({
    month: z.string().openapi({ example: '2026-12' }),
    currency: z.string().length(3),
    used_gb: Gb,
    included_gb: Gb,
    projected_cost: Money,
    charged: Money,
    credit_remaining_gb: Gb,
    pools: z.array(Pool),
    servers: z.array(
      z.object({ id: z.uuid(), label: z.string(), region: z.string(), used_gb: Gb, deleted: z.boolean() }),
    ),
    credits: z.array(TransferCredit),
    packs: z.array(
      z.object({ id: z.uuid(), name: z.string(), size_gb: z.number().int(), price: Money, currency: z.string() }),
    ),
  })
  .openapi('TransferUsage');

const PackPurchase = z
  .object({ credit: TransferCredit, balance: Money, currency: z.string().length(3) })
  .openapi('TransferPackPurchase');

const creditJson = (c: CreditView) => ({
  id: c.id,
  source: c.source,
  pack_name: c.packName,
  total_gb: gbDecimal(c.totalBytes),
  remaining_gb: gbDecimal(c.remainingBytes),
  remaining_bytes: c.remainingBytes.toString(),
  created_at: c.createdAt.toISOString(),
});

/** GET /billing/transfer (`egress_view`) and POST /billing/transfer/packs (`egress_manage`, Idempotency-Key). */
export function transferRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const keyed = idempotentRoute(deps);

  const getRoute = createRoute({
    method: 'get',
    path: '/billing/transfer',
    tags: ['wallet'],
    operationId: 'getTransferUsage',
    summary: 'Network transfer this month: pools, servers, projection, credits and packs (needs `egress_view`)',
    ...secured,
    responses: {
      200: { description: 'Usage this UTC month.', ...json(TransferUsage) },
      ...errorResponses([401, 403, 404, 429], {
        403: 'The caller lacks `egress_view` in the acting organization.',
        404: '`X-Organization-Id` names an organization the caller is not in.',
      }),
    },
  });
  app.openapi(getRoute, async (c) => {
    const o = await transferOverview(deps.db, caller(c), deps.clock.now());
    const currency = deps.config.BILLING_CURRENCY;
    return c.json(
      TransferUsage.parse({
        month: o.month,
        currency,
        used_gb: gbDecimal(o.totals.usedBytes),
        included_gb: gbDecimal(o.totals.includedBytes),
        projected_cost: toDecimal(o.totals.projectedCost, 2),
        charged: toDecimal(o.totals.chargedAmount, 2),
        credit_remaining_gb: gbDecimal(o.creditRemainingBytes),
        pools: o.pools.map((p) => ({
          region: p.region,
          region_label: p.regionLabel,
          included_gb: gbDecimal(p.includedBytes),
          used_gb: gbDecimal(p.usedBytes),
          used_bytes: p.usedBytes.toString(),
          overage_gb: gbDecimal(p.overageBytes),
          projected_gb: gbDecimal(p.projectedBytes),
          projected_overage_gb: gbDecimal(p.projectedOverageBytes),
          projected_cost: toDecimal(p.projectedCost, 2),
          price_per_gb: toDecimal(p.pricePerGb, 6),
          charged: toDecimal(p.chargedAmount, 2),
          charged_from_credit_gb: gbDecimal(p.creditBytes),
          closed: p.closed,
        })),
        servers: o.servers.map((s) => ({
          id: s.id,
          label: s.label,
          region: s.region,
          used_gb: gbDecimal(s.usedBytes),
          deleted: s.status === 'deleted',
        })),
        credits: o.credits.map(creditJson),
        packs: o.packs.map((p) => ({
          id: p.id,
          name: p.name,
          size_gb: p.sizeGb,
          price: toDecimal(p.price, 2),
          currency: p.currency,
        })),
      }),
      200,
    );
  });

  const buyRoute = createRoute({
    method: 'post',
    path: '/billing/transfer/packs',
    tags: ['wallet'],
    operationId: 'buyTransferPack',
    summary: 'Buy a transfer pack from the wallet (needs `egress_manage`; send an Idempotency-Key)',
    ...keyed,
    request: {
      headers: idempotencyKeyHeader(
        'Any unique string (a UUID): a retry with the same key and body replays the first answer instead of buying twice.',
      ),
      body: { required: true, ...json(z.object({ pack_id: z.string().openapi({ description: 'A pack on offer.' }) })) },
    },
    responses: {
      201: {
        description: 'The transfer credit bought, and the balance left.',
        headers: replayedHeader,
        ...json(PackPurchase),
      },
      ...errorResponses([400, 401, 403, 404, 409, 422, 429], {
        403: 'The caller lacks `egress_manage`.',
        409: 'A request with the same Idempotency-Key is still running (`idempotency_key_in_flight`).',
        422: 'Unknown or withdrawn pack (`validation_failed` on `pack_id`), the balance does not cover it (`insufficient_funds`), or the Idempotency-Key was used for another request.',
      }),
    },
  });
  app.openapi(buyRoute, async (c) => {
    const bought = await buyPack(deps, caller(c), { pack_id: c.req.valid('json').pack_id });
    return c.json(
      PackPurchase.parse({
        credit: creditJson(bought.credit),
        balance: toDecimal(bought.balance, 2),
        currency: deps.config.BILLING_CURRENCY,
      }),
      201,
    );
  });

  return app;
}
