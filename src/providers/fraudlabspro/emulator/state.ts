import { ERRORS, type FlpError } from './errors.ts';
import type {
  FraudLabsProEmulatorOptions,
  FraudLabsProEmulatorRequest,
  FraudLabsProEmulatorTransaction,
  FraudLabsProFailure,
  Params,
  V2Response,
} from './types.ts';
import { evaluate, normaliseIp, transactionId } from './verdict.ts';

/** What the emulator remembers between requests, and the operations the routes perform on it. */

const MAX_REQUESTS = 1_000;
const MAX_TRANSACTIONS = 10_000;

export interface FraudLabsProEmulatorState {
  readonly opts: FraudLabsProEmulatorOptions;
  readonly slowMs: number;
  readonly holdMs: number;
  now(): Date;
  /** Every request received, oldest first (the last 1 000). */
  readonly requests: FraudLabsProEmulatorRequest[];
  /** Screened transactions by `fraudlabspro_id` (the last 10 000). */
  readonly transactions: Map<string, FraudLabsProEmulatorTransaction>;
  /** One-shot failures, consumed in order by the next screen request. */
  readonly failures: FraudLabsProFailure[];
  readonly blacklist: { ips: Set<string>; emails: Set<string> };
  /** Requests held by `timeout`/`slow`, released early by `release`. */
  readonly held: Set<() => void>;
  credits: number;
  sequence: number;
}

export function createFraudLabsProEmulatorState(opts: FraudLabsProEmulatorOptions = {}): FraudLabsProEmulatorState {
  return {
    opts,
    slowMs: opts.slowMs ?? 10_000,
    holdMs: opts.holdMs ?? 60_000,
    now: opts.now ?? (() => new Date()),
    requests: [],
    transactions: new Map(),
    failures: [],
    blacklist: { ips: new Set(), emails: new Set() },
    held: new Set(),
    credits: opts.credits ?? 500,
    sequence: 0,
  };
}

/** Waits `ms`, or less if the client goes away or the emulator is released. True if the client is still there. */
export function hold(state: FraudLabsProEmulatorState, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      state.held.delete(done);
      signal.removeEventListener('abort', done);
      resolve(!signal.aborted);
    };
    const timer = setTimeout(done, ms);
    timer.unref?.();
    state.held.add(done);
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted) done();
  });
}

/** Releases requests held by `timeout`/`slow` so a server can shut down. */
export function release(state: FraudLabsProEmulatorState): void {
  for (const done of [...state.held]) done();
}

/** Back to the starting state: no requests, transactions, failures or blacklist; full credit. */
export function reset(state: FraudLabsProEmulatorState): void {
  release(state);
  state.requests.length = 0;
  state.transactions.clear();
  state.failures.length = 0;
  state.blacklist.ips.clear();
  state.blacklist.emails.clear();
  state.credits = state.opts.credits ?? 500;
  state.sequence = 0;
}

export function recordRequest(
  state: FraudLabsProEmulatorState,
  request: Omit<FraudLabsProEmulatorRequest, 'at'>,
): void {
  state.requests.push({ ...request, at: state.now().toISOString() });
  if (state.requests.length > MAX_REQUESTS) state.requests.shift();
}

/** `null` when the key is fine, else the error FLP answers for it. */
export function keyError(state: FraudLabsProEmulatorState, key: string | undefined): FlpError | null {
  if (!key) return ERRORS.invalidKey;
  if (key === 'expired-key') return ERRORS.expiredKey;
  if (key === 'no-credit') return ERRORS.noCredit;
  if (key === 'slow') return null;
  if (state.opts.apiKey !== undefined) return key === state.opts.apiKey ? null : ERRORS.invalidKey;
  return key.toLowerCase().startsWith('invalid') ? ERRORS.invalidKey : null;
}

/** One screen: validates like FLP, spends a credit, scores (verdict.ts) and keeps the transaction. */
export function screen(state: FraudLabsProEmulatorState, params: Params): V2Response | FlpError {
  const keyProblem = keyError(state, params.key);
  if (keyProblem) return keyProblem;
  if (state.credits <= 0) return ERRORS.noCredit;
  const ip = normaliseIp(params.ip ?? '');
  if (!ip) return ERRORS.invalidIp;
  if (params.bill_country && !/^[A-Za-z]{2}$/.test(params.bill_country)) return ERRORS.invalidBillCountry;
  if (params.ship_country && !/^[A-Za-z]{2}$/.test(params.ship_country)) return ERRORS.invalidShipCountry;
  if ((params.user_order_id ?? '').length > 15) return ERRORS.orderIdTooLong;
  if (params.email_hash && !/^[0-9a-f]{32,128}$/i.test(params.email_hash)) return ERRORS.invalidEmailHash;
  const amount = Number(params.amount ?? '0');
  const quantity = Number(params.quantity ?? '1');
  if ((Number.isFinite(amount) && amount >= 1e9) || (Number.isFinite(quantity) && quantity > 1e6))
    return ERRORS.tooLarge;

  state.credits -= 1;
  state.sequence += 1;
  const at = state.now();
  const id = transactionId(at, state.sequence, ip, params.email ?? '');
  const response = evaluate(params, ip, id, state.credits, state.blacklist);
  const { key: _key, ...stored } = params;
  state.transactions.set(id, { id, params: stored, response, feedback: null, createdAt: at.toISOString() });
  if (state.transactions.size > MAX_TRANSACTIONS)
    state.transactions.delete(state.transactions.keys().next().value as string);
  return response;
}

export function findTransaction(
  state: FraudLabsProEmulatorState,
  params: Params,
): FraudLabsProEmulatorTransaction | null {
  const id = params.id ?? '';
  if (params.id_type === 'user_order_id') {
    let found: FraudLabsProEmulatorTransaction | null = null;
    for (const t of state.transactions.values()) if (id && t.response.user_order_id === id) found = t;
    return found;
  }
  return state.transactions.get(id) ?? null;
}
