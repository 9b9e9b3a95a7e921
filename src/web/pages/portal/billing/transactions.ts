import { Hono } from 'hono';
import {
  getWalletTransaction,
  listWalletLines,
  parseTransactionFilter,
  walletFor,
  type TransactionFilter,
} from '../../../../domain/wallets/wallet.ts';
import { KIND_LABELS, LEDGER_KINDS } from '../../../../domain/ledger/kinds.ts';
import { ValidationError } from '../../../../lib/errors.ts';
import { serversCharged } from '../../../../domain/servers/usage.ts';
import type { AppDeps } from '../../../context.ts';
import type { Renderer } from '../../../render.ts';
import { actorOf } from '../../../actor.ts';
import { lineMoney } from './chart.ts';

const PAGE = 50;
const FILTER_KEYS = ['kind', 'from', 'to'] as const;

/**
 * /billing/transactions: every line of the wallet with the balance it left, filtered by type and
 * days (in the viewer's time zone), 50 a page; and one transaction in detail. Needs `billing_view`.
 */
export function transactionPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/transactions', async (c) => {
    const wallet = await walletFor(deps.db, actorOf(c));
    const raw = Object.fromEntries(FILTER_KEYS.map((k) => [k, c.req.query(k) ?? '']));
    const query = new URLSearchParams(Object.entries(raw).filter(([, v]) => v)).toString();
    let filter: TransactionFilter | null = null;
    let errors: Record<string, string> = {};
    try {
      filter = parseTransactionFilter(raw, c.get('auth')!.user.timezone);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      errors = err.fields ?? {};
    }
    const page = filter
      ? await listWalletLines(deps.db, wallet, filter, { limit: PAGE, cursor: c.req.query('cursor') || null })
      : { lines: [], nextCursor: null };
    const charged = await serversCharged(
      deps.db,
      wallet.organizationId,
      page.lines.filter((l) => l.kind === 'vps_charge').map((l) => l.transactionId),
    );
    const data = {
      wallet,
      lines: page.lines,
      charged,
      nextCursor: page.nextCursor,
      first: !c.req.query('cursor'),
      query,
      filters: raw,
      errors,
      kinds: KIND_LABELS,
      lineMoney,
      filtered: query !== '',
      kindOptions: LEDGER_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] })),
    };
    return view.page(c, 'portal/billing/transactions', data, {
      layout: 'portal',
      title: 'Transactions',
      status: filter ? 200 : 422,
      region: { id: 'transaction-results', partial: 'portal/billing/_results' },
    });
  });

  app.get('/transactions/:id', async (c) => {
    const wallet = await walletFor(deps.db, actorOf(c));
    const transaction = await getWalletTransaction(deps.db, wallet, c.req.param('id'));
    return view.page(
      c,
      'portal/billing/transaction',
      { wallet, t: transaction, kinds: KIND_LABELS, lineMoney },
      { layout: 'portal', title: 'Transaction' },
    );
  });

  return app;
}
