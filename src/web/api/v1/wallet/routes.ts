import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { captureTopUp, startTopUp } from '../../../../domain/payments/top-ups.ts';
import { walletSummary } from '../../../../domain/wallets/spend.ts';
import { listWalletLines, parseTransactionFilter, walletFor } from '../../../../domain/wallets/wallet.ts';
import { toDecimal } from '../../../../lib/money.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { idempotentRoute, idempotencyKeyHeader, replayedHeader } from '../idempotency.ts';
import { listAnswer, listOf } from '../pagination.ts';
import { errorResponses, json, pathParam } from '../schemas.ts';
import { CaptureResult, presentLine, TopUp, TransactionQuery, Wallet, WalletTransaction } from './schemas.ts';

const IdempotencyHeaders = idempotencyKeyHeader(
  'Any unique string (a UUID): a retry with the same key and body replays the first answer (header `Idempotent-Replayed: true`) instead of acting twice.',
);
const KEYED = {
  409: 'The payment cannot be completed now, or a request with the same Idempotency-Key is still running (`idempotency_key_in_flight`).',
  422: 'Validation failed, the payment was refused, or the Idempotency-Key was used for another request (`idempotency_key_reused`).',
};

const VIEW = {
  403: 'The caller lacks `billing_view` in the acting organization.',
  404: '`X-Organization-Id` names an organization the caller is not in.',
};
/** The acting organization's wallet (`billing_view`) and top-ups (`billing_manage`); the portal's /billing asks the same. */
export function walletRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  // Money POSTs: the caller first, then Idempotency-Key (before the body is validated).
  const keyed = idempotentRoute(deps);

  const getRoute = createRoute({
    method: 'get',
    path: '/wallet',
    tags: ['wallet'],
    operationId: 'getWallet',
    summary: 'Balance and spend (needs `billing_view`)',
    ...secured,
    responses: { 200: { description: 'The wallet.', ...json(Wallet) }, ...errorResponses([401, 403, 404, 429], VIEW) },
  });
  app.openapi(getRoute, async (c) => {
    const wallet = await walletFor(deps.db, caller(c));
    const s = await walletSummary(deps.db, wallet, deps.clock.now());
    return c.json(
      Wallet.parse({
        organization_id: wallet.organizationId,
        balance: toDecimal(wallet.balance, 2),
        currency: wallet.currency,
        spent_this_month: toDecimal(s.spentThisMonth, 2),
        spent_all_time: toDecimal(s.spentAllTime, 2),
        last_top_up_at: s.lastTopUp?.at.toISOString() ?? null,
      }),
      200,
    );
  });

  const listRoute = createRoute({
    method: 'get',
    path: '/wallet/transactions',
    tags: ['wallet'],
    operationId: 'listWalletTransactions',
    summary: 'Ledger lines with running balance, newest first (needs `billing_view`)',
    ...secured,
    request: { query: TransactionQuery },
    responses: {
      200: { description: 'One page of lines.', ...json(listOf(WalletTransaction).openapi('WalletTransactionList')) },
      ...errorResponses([401, 403, 404, 422, 429], VIEW),
    },
  });
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const wallet = await walletFor(deps.db, caller(c));
    const page = await listWalletLines(
      deps.db,
      wallet,
      parseTransactionFilter({ kind: q.kind, from: q.from, to: q.to }, 'UTC'),
      { limit: q.limit, cursor: q.cursor ?? null },
    );
    return c.json(listAnswer(page.lines, page.nextCursor, presentLine), 200);
  });

  const topUpRoute = createRoute({
    method: 'post',
    path: '/wallet/top-ups',
    tags: ['wallet'],
    operationId: 'createTopUp',
    summary: 'Start adding funds with PayPal (needs `billing_manage`)',
    ...keyed,
    request: {
      headers: IdempotencyHeaders,
      body: {
        required: true,
        ...json(
          z.object({
            amount: z.string().openapi({
              example: '25.00',
              description: 'Decimal string, at most 2 decimals, within the platform’s limits.',
            }),
          }),
        ),
      },
    },
    responses: {
      201: {
        description: 'The top-up; send the buyer to `approve_url`, then capture.',
        headers: replayedHeader,
        ...json(TopUp),
      },
      ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
        ...KEYED,
        403: 'The caller lacks `billing_manage`.',
        503: 'No payment provider is configured, screening is unavailable, or PayPal did not answer.',
      }),
    },
  });
  app.openapi(topUpRoute, async (c) => {
    const t = await startTopUp(deps, caller(c), c.req.valid('json'));
    return c.json(
      TopUp.parse({
        id: t.id,
        status: t.status,
        approve_url: t.approveUrl,
        amount: toDecimal(t.amount, 2),
        currency: t.currency,
      }),
      201,
    );
  });

  const captureRoute = createRoute({
    method: 'post',
    path: '/wallet/top-ups/{id}/capture',
    tags: ['wallet'],
    operationId: 'captureTopUp',
    summary: 'Capture an approved top-up and credit it, once (needs `billing_manage`)',
    ...keyed,
    request: { headers: IdempotencyHeaders, params: z.object({ id: pathParam('id', 'Top-up id.') }) },
    responses: {
      200: {
        description: 'What became of the payment, and the balance.',
        headers: replayedHeader,
        ...json(CaptureResult),
      },
      ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
        ...KEYED,
        403: 'The caller lacks `billing_manage`.',
        404: 'No such top-up in the acting organization.',
        503: 'PayPal did not answer; retry (nothing is charged twice).',
      }),
    },
  });
  app.openapi(captureRoute, async (c) => {
    const r = await captureTopUp(deps, caller(c), { id: c.req.valid('param').id });
    return c.json(
      CaptureResult.parse({
        id: r.paymentId,
        status: r.status,
        balance: toDecimal(r.balance, 2),
        currency: r.currency,
      }),
      200,
    );
  });

  return app;
}
