import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { fraudLabsProRoutes } from './routes.ts';
import { createFraudLabsProEmulatorState, release, reset } from './state.ts';
import type {
  FraudLabsProEmulatorOptions,
  FraudLabsProEmulatorRequest,
  FraudLabsProEmulatorTransaction,
  FraudLabsProFailure,
} from './types.ts';

export type {
  FraudLabsProEmulatorOptions,
  FraudLabsProEmulatorRequest,
  FraudLabsProEmulatorTransaction,
  FraudLabsProFailure,
  V2Response,
} from './types.ts';

/**
 * A local FraudLabs Pro: the same HTTP protocol as api.fraudlabspro.com (`specs/fraudlabspro.md`)
 * so the real client is tested over real HTTP, and demo mode can screen without an account.
 *
 * Endpoints (parameters from the query string, a form body or a JSON body, merged):
 *   POST /v2/order/screen    nested JSON (real booleans); errors as HTTP 400 `{"error":{"error_code","error_message"}}`
 *   GET  /v1/order/screen    flat `Y`/`N`/`NA` strings; errors as HTTP 200 with `fraudlabspro_error_code`;
 *                            XML unless `format=json` (as the real v1 does when `format` is omitted)
 *   POST /v2/order/feedback  `id`, `action` = APPROVE | REJECT | REJECT_BLACKLIST, `note`
 *   GET  /v2/order/result    `id`, `id_type` = fraudlabspro_id (default) | user_order_id
 * `format=xml` gives XML on every endpoint. Every screen costs one credit (`remaining_credits`).
 *
 * Keys: with `apiKey` set only that key is valid; without it any non-empty key is, except
 *   missing / empty / starting with `invalid` → 10001 INVALID API KEY
 *   `expired-key` → 10006 API KEY EXPIRED        `no-credit` → 10007 INSUFFICIENT CREDIT
 *   `slow` → the answer comes after `slowMs` (default 10 s, past the client's timeout)
 *
 * Deterministic screening (nothing random; same request, same verdict):
 *   IP (IPv4 documentation range 198.51.100.0/24, by last octet; every other IP is a clean ISP):
 *     .32–.47  public proxy  is_proxy, proxy_type PUB   (+35)
 *     .48–.63  data centre   is_proxy, proxy_type DCH   (+15)
 *     .64–.79  VPN           is_proxy, proxy_type VPN   (+30)   e.g. 198.51.100.66
 *     .96–.111 Tor exit      is_proxy, proxy_type TOR   (+60)   e.g. 198.51.100.99
 *     .128–.143 on the FLP IP blacklist, is_in_blacklist (+60)
 *   E-mail domain:
 *     mailinator.com/.test, guerrillamail.com, sharklasers.com, yopmail.com, 10minutemail.com,
 *     temp-mail.org, trashmail.com, maildrop.cc, getnada.com, throwawaymail.com, dispostable.com,
 *     any `*.disposable.test` (and subdomains of these) → email_address.is_disposable (+35)
 *     gmail.com, yahoo.com, outlook.com, hotmail.com, icloud.com, proton.me… → is_free (+0)
 *     a domain ending `.invalid` → is_domain_exist false (+20)
 *   E-mail local-part tags (`ada+tag@…`, several allowed: `ada+vip+score60@…`):
 *     +scoreNN (1–100)  → fraudlabspro_score NN
 *     +approve / +review / +reject → fraudlabspro_status forced, score unchanged
 *     +blacklist        → email_address.is_in_blacklist (+60)
 *   Amount (top-ups): cents .66 → score 66 (REVIEW), cents .88 → score 88 (REJECT), e.g. "25.66".
 *   Feedback REJECT_BLACKLIST puts the transaction's IP and e-mail on the blacklist for later screens.
 * Score = 10 + the additions above, capped at 100, then replaced by an amount trigger, then by
 * +scoreNN. Status ("the merchant's dashboard rules"): score ≥ 80 REJECT, ≥ 50 REVIEW, else
 * APPROVE, then replaced by a +approve/+review/+reject tag. So a VPN alone is score 40 APPROVE
 * (only our policy blocks it), Tor alone 70 REVIEW, a disposable address alone 45 APPROVE.
 *
 * One-shot failures (`inject`), consumed in order by the next screen request (v1 or v2):
 *   '500' HTML 500 page · 'non_json' HTML 200 page · 'timeout' no answer until the client gives up
 *   · 'reset' TCP connection destroyed · 'invalid_key' 10001 · 'expired_key' 10006
 *   · 'insufficient_credit' 10007 · 'invalid_ip' 10002 (each in the endpoint's own error envelope).
 * A refused connection is simply a closed emulator.
 *
 * Files: routes.ts (the endpoints), state.ts (what it remembers, key checks, screening),
 * verdict.ts (the scoring rules above), errors.ts (FLP's error codes), formats.ts (v1 and XML).
 */

/** The emulator as a Hono app plus its state, for mounting under `/_emulators/fraudlabspro`. */
export interface FraudLabsProEmulatorApp {
  app: Hono;
  /** Every request received, oldest first (the last 1 000). */
  readonly requests: FraudLabsProEmulatorRequest[];
  /** Screened transactions by `fraudlabspro_id` (the last 10 000). */
  readonly transactions: Map<string, FraudLabsProEmulatorTransaction>;
  /** Credits left. */
  credits(): number;
  inject(failure: FraudLabsProFailure): void;
  /** Back to the starting state: no requests, transactions, failures or blacklist; full credit. */
  reset(): void;
  /** Releases requests held by `timeout`/`slow` so a server can shut down. */
  release(): void;
}

export interface FraudLabsProEmulator extends Omit<FraudLabsProEmulatorApp, 'app' | 'release'> {
  url: string;
  close(): Promise<void>;
}

export function createFraudLabsProEmulatorApp(opts: FraudLabsProEmulatorOptions = {}): FraudLabsProEmulatorApp {
  const state = createFraudLabsProEmulatorState(opts);
  return {
    app: fraudLabsProRoutes(state),
    requests: state.requests,
    transactions: state.transactions,
    credits: () => state.credits,
    inject: (failure) => void state.failures.push(failure),
    reset: () => reset(state),
    release: () => release(state),
  };
}

/** The emulator on its own port at 127.0.0.1 (port 0 = any free port). */
export async function startFraudLabsProEmulator(
  opts: FraudLabsProEmulatorOptions & { port?: number } = {},
): Promise<FraudLabsProEmulator> {
  const emu = createFraudLabsProEmulatorApp(opts);
  const server = createAdaptorServer({ fetch: emu.app.fetch, hostname: '127.0.0.1' }) as http.Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests: emu.requests,
    transactions: emu.transactions,
    credits: emu.credits,
    inject: emu.inject,
    reset: emu.reset,
    close: () =>
      new Promise<void>((resolve) => {
        emu.release();
        // Held requests and keep-alive sockets would keep close() waiting; cut them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
