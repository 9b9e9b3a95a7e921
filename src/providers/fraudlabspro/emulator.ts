import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isIP } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';

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
 */

export type FraudLabsProFailure =
  | '500'
  | 'non_json'
  | 'timeout'
  | 'reset'
  | 'invalid_key'
  | 'expired_key'
  | 'insufficient_credit'
  | 'invalid_ip';

export interface FraudLabsProEmulatorRequest {
  method: string;
  /** Endpoint path as FLP knows it, e.g. `/v2/order/screen` (without any mount prefix). */
  path: string;
  query: Record<string, string>;
  /** Parameters from the body (form or JSON). */
  body: Record<string, string>;
  contentType: string | null;
  at: string;
}

export interface FraudLabsProEmulatorTransaction {
  id: string;
  /** Screen parameters as received, without `key`. */
  params: Record<string, string>;
  /** The v2 response as answered, with the status updated by feedback. */
  response: V2Response;
  feedback: { action: 'APPROVE' | 'REJECT' | 'REJECT_BLACKLIST'; note: string | null } | null;
  createdAt: string;
}

export interface FraudLabsProEmulatorOptions {
  /** The only valid key; unset accepts any key except the reserved ones (see header). */
  apiKey?: string;
  /** Credits at start (default 500); each screen uses one. */
  credits?: number;
  /** Delay for the `slow` key (default 10 000 ms). */
  slowMs?: number;
  /** How long an injected `timeout` holds the request before giving up with a 504 (default 60 s). */
  holdMs?: number;
  now?: () => Date;
}

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

type Params = Record<string, string>;
type Bool = boolean | null;

export interface V2Response {
  ip_geolocation: {
    ip: string;
    continent: string;
    country_code: string;
    country_name: string;
    region: string;
    city: string;
    latitude: number;
    longitude: number;
    zip_code: string;
    timezone: string;
    isp_name: string;
    domain: string;
    netspeed: string;
    mobile_mnc: string;
    mobile_mcc: string;
    mobile_brand: string;
    elevation: number;
    usage_type: string[];
    is_proxy: boolean;
    proxy_type: string;
    is_in_blacklist: boolean;
  };
  billing_address: { ip_distance_in_km: number | null; ip_distance_in_mile: number | null; is_ip_country_match: Bool };
  shipping_address: {
    is_address_ship_forward: Bool;
    is_bill_city_match: Bool;
    is_bill_state_match: Bool;
    is_bill_country_match: Bool;
    is_bill_postcode_match: Bool;
    is_export_controlled_country: Bool;
    is_in_blacklist: Bool;
  };
  email_address: { is_free: Bool; is_disposable: Bool; is_domain_exist: Bool; is_new_domain_name: Bool; is_in_blacklist: Bool };
  phone_number: { is_disposable: Bool; is_in_blacklist: Bool };
  username: { is_high_risk: Bool; is_in_blacklist: Bool };
  credit_card: {
    card_brand: string | null;
    card_type: string | null;
    card_issuing_bank: string | null;
    card_issuing_country: string | null;
    is_prepaid: Bool;
    is_bin_exist: Bool;
    is_bin_country_match: Bool;
    is_in_blacklist: Bool;
  };
  device: { is_malware_exploit: Bool; is_in_blacklist: Bool };
  user_order_id: string;
  fraudlabspro_id: string;
  fraudlabspro_score: number;
  fraudlabspro_status: 'APPROVE' | 'REVIEW' | 'REJECT';
  fraudlabspro_rules: string[];
  api_version: string;
  remaining_credits: number;
}

interface FlpError {
  code: number;
  message: string;
}

const ERRORS = {
  invalidKey: { code: 10001, message: 'INVALID API KEY' },
  invalidIp: { code: 10002, message: 'INVALID IP ADDRESS' },
  invalidBillCountry: { code: 10003, message: 'INVALID BILLING COUNTRY CODE' },
  invalidShipCountry: { code: 10004, message: 'INVALID SHIPPING COUNTRY CODE' },
  expiredKey: { code: 10006, message: 'API KEY EXPIRED' },
  noCredit: { code: 10007, message: 'INSUFFICIENT CREDIT' },
  tooLarge: { code: 10009, message: 'QUANTITY OR AMOUNT VALUE TOO LARGE' },
  orderIdTooLong: { code: 10010, message: 'ORDER ID EXCEED LIMIT OF 15 CHARACTERS' },
  notFound: { code: 10011, message: 'TRANSACTION NOT FOUND' },
  alreadyApproved: { code: 10012, message: 'TRANSACTION ALREADY APPROVED' },
  alreadyRejected: { code: 10013, message: 'TRANSACTION ALREADY REJECTED' },
  invalidAction: { code: 10015, message: 'INVALID ACTION' },
  invalidEmailHash: { code: 204, message: 'INVALID EMAIL HASH' },
} satisfies Record<string, FlpError>;

const INJECTED_ERRORS: Partial<Record<FraudLabsProFailure, FlpError>> = {
  invalid_key: ERRORS.invalidKey,
  expired_key: ERRORS.expiredKey,
  insufficient_credit: ERRORS.noCredit,
  invalid_ip: ERRORS.invalidIp,
};

const DISPOSABLE_DOMAINS = [
  'mailinator.com',
  'mailinator.test',
  'guerrillamail.com',
  'sharklasers.com',
  'yopmail.com',
  '10minutemail.com',
  'temp-mail.org',
  'trashmail.com',
  'maildrop.cc',
  'getnada.com',
  'throwawaymail.com',
  'dispostable.com',
  'disposable.test',
];
const FREE_DOMAINS = ['gmail.com', 'googlemail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'live.com', 'icloud.com', 'proton.me', 'protonmail.com', 'aol.com', 'gmx.com'];

/** Emulated "dashboard rules" of the merchant. */
const REJECT_AT = 80;
const REVIEW_AT = 50;
const BASE_SCORE = 10;
const MAX_REQUESTS = 1_000;
const MAX_TRANSACTIONS = 10_000;

type ProxyType = 'VPN' | 'TOR' | 'DCH' | 'PUB';
const PROXY_SCORE: Record<ProxyType, number> = { PUB: 35, DCH: 15, VPN: 30, TOR: 60 };

export function createFraudLabsProEmulatorApp(opts: FraudLabsProEmulatorOptions = {}): FraudLabsProEmulatorApp {
  const startCredits = opts.credits ?? 500;
  const slowMs = opts.slowMs ?? 10_000;
  const holdMs = opts.holdMs ?? 60_000;
  const now = opts.now ?? (() => new Date());

  const requests: FraudLabsProEmulatorRequest[] = [];
  const transactions = new Map<string, FraudLabsProEmulatorTransaction>();
  const failures: FraudLabsProFailure[] = [];
  const blacklistedIps = new Set<string>();
  const blacklistedEmails = new Set<string>();
  const held = new Set<() => void>();
  let credits = startCredits;
  let sequence = 0;

  /** Waits `ms`, or less if the client goes away or the emulator is released. True if the client is still there. */
  function hold(ms: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        held.delete(done);
        signal.removeEventListener('abort', done);
        resolve(!signal.aborted);
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      held.add(done);
      signal.addEventListener('abort', done, { once: true });
      if (signal.aborted) done();
    });
  }

  /** `null` when the key is fine, else the error FLP answers for it. */
  function keyError(key: string | undefined): FlpError | null {
    if (!key) return ERRORS.invalidKey;
    if (key === 'expired-key') return ERRORS.expiredKey;
    if (key === 'no-credit') return ERRORS.noCredit;
    if (key === 'slow') return null;
    if (opts.apiKey !== undefined) return key === opts.apiKey ? null : ERRORS.invalidKey;
    return key.toLowerCase().startsWith('invalid') ? ERRORS.invalidKey : null;
  }

  function screen(params: Params): V2Response | FlpError {
    const keyProblem = keyError(params.key);
    if (keyProblem) return keyProblem;
    if (credits <= 0) return ERRORS.noCredit;
    const ip = normaliseIp(params.ip ?? '');
    if (!ip) return ERRORS.invalidIp;
    if (params.bill_country && !/^[A-Za-z]{2}$/.test(params.bill_country)) return ERRORS.invalidBillCountry;
    if (params.ship_country && !/^[A-Za-z]{2}$/.test(params.ship_country)) return ERRORS.invalidShipCountry;
    if ((params.user_order_id ?? '').length > 15) return ERRORS.orderIdTooLong;
    if (params.email_hash && !/^[0-9a-f]{32,128}$/i.test(params.email_hash)) return ERRORS.invalidEmailHash;
    const amount = Number(params.amount ?? '0');
    const quantity = Number(params.quantity ?? '1');
    if ((Number.isFinite(amount) && amount >= 1e9) || (Number.isFinite(quantity) && quantity > 1e6)) return ERRORS.tooLarge;

    credits -= 1;
    sequence += 1;
    const at = now();
    const id = transactionId(at, sequence, ip, params.email ?? '');
    const response = evaluate(params, ip, id, credits, { ips: blacklistedIps, emails: blacklistedEmails });
    const { key: _key, ...stored } = params;
    transactions.set(id, { id, params: stored, response, feedback: null, createdAt: at.toISOString() });
    if (transactions.size > MAX_TRANSACTIONS) transactions.delete(transactions.keys().next().value as string);
    return response;
  }

  function findTransaction(params: Params): FraudLabsProEmulatorTransaction | null {
    const id = params.id ?? '';
    if (params.id_type === 'user_order_id') {
      let found: FraudLabsProEmulatorTransaction | null = null;
      for (const t of transactions.values()) if (id && t.response.user_order_id === id) found = t;
      return found;
    }
    return transactions.get(id) ?? null;
  }

  const app = new Hono();

  async function readParams(c: Context): Promise<{ params: Params; query: Params; body: Params }> {
    const query = Object.fromEntries(new URL(c.req.url).searchParams);
    const contentType = c.req.header('content-type') ?? '';
    const text = c.req.method === 'GET' || c.req.method === 'HEAD' ? '' : await c.req.text();
    let body: Params = {};
    if (text && contentType.includes('json')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          body = Object.fromEntries(
            Object.entries(parsed).flatMap(([k, v]) => (v === null || v === undefined || typeof v === 'object' ? [] : [[k, String(v)]])),
          );
        }
      } catch {
        body = {};
      }
    } else if (text) {
      body = Object.fromEntries(new URLSearchParams(text));
    }
    return { params: { ...query, ...body }, query, body };
  }

  function record(c: Context, path: string, query: Params, body: Params) {
    requests.push({ method: c.req.method, path, query, body, contentType: c.req.header('content-type') ?? null, at: now().toISOString() });
    if (requests.length > MAX_REQUESTS) requests.shift();
  }

  /** Applies a queued failure; returns a response to send, or null to carry on normally. */
  async function injectedFailure(c: Context, version: 'v1' | 'v2', format: 'json' | 'xml'): Promise<Response | null> {
    const failure = failures.shift();
    if (!failure) return null;
    if (failure === '500') return c.html('<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>', 500);
    if (failure === 'non_json') return c.html('<html><body><h1>Service temporarily unavailable</h1><p>Please try again later.</p></body></html>', 200);
    if (failure === 'timeout') {
      const stillThere = await hold(holdMs, c.req.raw.signal);
      return stillThere ? c.html('<html><body><h1>504 Gateway Time-out</h1></body></html>', 504) : new Response(null, { status: 499 });
    }
    if (failure === 'reset') {
      const socket = (c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket;
      if (socket) {
        socket.destroy();
        return new Response(null, { status: 499 });
      }
      return c.html('<html><body><h1>502 Bad Gateway</h1></body></html>', 502);
    }
    const error = INJECTED_ERRORS[failure];
    return error ? errorReply(c, version, format, error) : null;
  }

  const screenHandler = (version: 'v1' | 'v2') => async (c: Context) => {
    const path = `/${version}/order/screen`;
    const { params, query, body } = await readParams(c);
    record(c, path, query, body);
    // v1 answers XML unless JSON is asked for; v2 answers JSON unless XML is.
    const format = version === 'v1' ? (params.format === 'json' ? 'json' : 'xml') : params.format === 'xml' ? 'xml' : 'json';

    const failed = await injectedFailure(c, version, format);
    if (failed) return failed;
    if (params.key === 'slow' && !(await hold(slowMs, c.req.raw.signal))) return new Response(null, { status: 499 });

    const result = screen(params);
    if ('code' in result) return errorReply(c, version, format, result);
    const payload = version === 'v2' ? result : toV1(result, params);
    return format === 'xml' ? xml(c, payload, 200) : c.json(payload, 200);
  };

  app.post('/v2/order/screen', screenHandler('v2'));
  app.get('/v1/order/screen', screenHandler('v1'));
  app.post('/v1/order/screen', screenHandler('v1'));

  app.post('/v2/order/feedback', async (c) => {
    const { params, query, body } = await readParams(c);
    record(c, '/v2/order/feedback', query, body);
    const format = params.format === 'xml' ? 'xml' : 'json';
    const keyProblem = keyError(params.key);
    if (keyProblem) return errorReply(c, 'v2', format, keyProblem);
    const t = findTransaction({ id: params.id ?? '' });
    if (!t) return errorReply(c, 'v2', format, ERRORS.notFound);
    const action = (params.action ?? '').toUpperCase();
    if (action !== 'APPROVE' && action !== 'REJECT' && action !== 'REJECT_BLACKLIST') return errorReply(c, 'v2', format, ERRORS.invalidAction);
    if (t.feedback) return errorReply(c, 'v2', format, t.feedback.action === 'APPROVE' ? ERRORS.alreadyApproved : ERRORS.alreadyRejected);

    t.feedback = { action, note: params.note ?? null };
    t.response.fraudlabspro_status = action === 'APPROVE' ? 'APPROVE' : 'REJECT';
    if (action === 'REJECT_BLACKLIST') {
      blacklistedIps.add(t.response.ip_geolocation.ip);
      if (t.params.email) blacklistedEmails.add(t.params.email.trim().toLowerCase());
    }
    const payload = { fraudlabspro_id: t.id };
    return format === 'xml' ? xml(c, payload, 200) : c.json(payload, 200);
  });

  app.get('/v2/order/result', async (c) => {
    const { params, query, body } = await readParams(c);
    record(c, '/v2/order/result', query, body);
    const format = params.format === 'xml' ? 'xml' : 'json';
    const keyProblem = keyError(params.key);
    if (keyProblem) return errorReply(c, 'v2', format, keyProblem);
    const t = findTransaction(params);
    if (!t) return errorReply(c, 'v2', format, ERRORS.notFound);
    const payload = { ...t.response, remaining_credits: credits };
    return format === 'xml' ? xml(c, payload, 200) : c.json(payload, 200);
  });

  for (const path of ['/v2/order/screen', '/v2/order/feedback', '/v2/order/result', '/v1/order/screen']) {
    app.all(path, (c) => c.json({ error: { error_code: 405, error_message: 'METHOD NOT ALLOWED' } }, 405));
  }
  app.all('*', (c) => c.json({ error: { error_code: 404, error_message: 'NOT FOUND' } }, 404));

  const release = () => {
    for (const done of [...held]) done();
  };

  return {
    app,
    requests,
    transactions,
    credits: () => credits,
    inject: (failure) => void failures.push(failure),
    reset: () => {
      release();
      requests.length = 0;
      transactions.clear();
      failures.length = 0;
      blacklistedIps.clear();
      blacklistedEmails.clear();
      credits = startCredits;
      sequence = 0;
    },
    release,
  };
}

/** The emulator on its own port at 127.0.0.1 (port 0 = any free port). */
export async function startFraudLabsProEmulator(opts: FraudLabsProEmulatorOptions & { port?: number } = {}): Promise<FraudLabsProEmulator> {
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

function errorReply(c: Context, version: 'v1' | 'v2', format: 'json' | 'xml', error: FlpError): Response {
  if (version === 'v2') {
    const payload = { error: { error_code: error.code, error_message: error.message } };
    return format === 'xml' ? xml(c, payload, 400) : c.json(payload, 400);
  }
  // v1: HTTP 200, the usual flat body with empty results and the error in fraudlabspro_error_code.
  const payload = { ...V1_EMPTY, fraudlabspro_error_code: String(error.code), fraudlabspro_message: error.message };
  return format === 'xml' ? xml(c, payload, 200) : c.json(payload, 200);
}

function normaliseIp(raw: string): string | null {
  const ip = raw.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  const candidate = mapped?.[1] ?? ip;
  return isIP(candidate) ? candidate : null;
}

function transactionId(at: Date, sequence: number, ip: string, email: string): string {
  const day = at.toISOString().slice(0, 10).replace(/-/g, '');
  const digest = createHash('sha256').update(`${sequence}|${ip}|${email}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += alphabet[(digest[i] ?? 0) % alphabet.length];
  return `${day}-${suffix}`;
}

function ipProfile(ip: string): { proxyType: ProxyType | null; blacklisted: boolean } {
  const m = /^198\.51\.100\.(\d{1,3})$/.exec(ip);
  if (!m) return { proxyType: null, blacklisted: false };
  const octet = Number(m[1]);
  const proxyType: ProxyType | null =
    octet >= 32 && octet <= 47 ? 'PUB' : octet >= 48 && octet <= 63 ? 'DCH' : octet >= 64 && octet <= 79 ? 'VPN' : octet >= 96 && octet <= 111 ? 'TOR' : null;
  return { proxyType, blacklisted: octet >= 128 && octet <= 143 };
}

const matchesDomain = (domain: string, list: string[]) => list.some((d) => domain === d || domain.endsWith(`.${d}`));

function evaluate(
  params: Params,
  ip: string,
  id: string,
  remainingCredits: number,
  blacklist: { ips: Set<string>; emails: Set<string> },
): V2Response {
  const rules: string[] = [];
  let score = BASE_SCORE;

  const { proxyType, blacklisted } = ipProfile(ip);
  const ipBlacklisted = blacklisted || blacklist.ips.has(ip);
  if (proxyType) score += PROXY_SCORE[proxyType];
  if (ipBlacklisted) score += 60;

  const email = (params.email ?? '').trim().toLowerCase();
  const at = email.lastIndexOf('@');
  const local = at > 0 ? email.slice(0, at) : '';
  const domain = (at > 0 ? email.slice(at + 1) : (params.email_domain ?? '').trim().toLowerCase()).replace(/\.$/, '');
  const tags = local.split('+').slice(1);
  const hasEmail = domain !== '';
  const disposable = hasEmail && matchesDomain(domain, DISPOSABLE_DOMAINS);
  const free = hasEmail && matchesDomain(domain, FREE_DOMAINS);
  const domainExists = hasEmail && !domain.endsWith('.invalid');
  const emailBlacklisted = hasEmail && (tags.includes('blacklist') || (email !== '' && blacklist.emails.has(email)));
  if (disposable) score += 35;
  if (hasEmail && !domainExists) score += 20;
  if (emailBlacklisted) score += 60;
  score = Math.min(100, Math.max(1, score));

  const cents = /^\d+\.(\d{2})/.exec(params.amount ?? '')?.[1];
  if (cents === '66' || cents === '88') {
    score = Number(cents);
    rules.push(`Amount ending in .${cents}`);
  }
  for (const tag of tags) {
    const forced = /^score(\d{1,3})$/.exec(tag);
    if (forced && Number(forced[1]) >= 1 && Number(forced[1]) <= 100) score = Number(forced[1]);
  }

  let status: V2Response['fraudlabspro_status'] = score >= REJECT_AT ? 'REJECT' : score >= REVIEW_AT ? 'REVIEW' : 'APPROVE';
  if (status === 'REJECT') rules.push(`Reject when score >= ${REJECT_AT}`);
  if (status === 'REVIEW') rules.push(`Review when score >= ${REVIEW_AT}`);
  for (const tag of tags) {
    if (tag === 'approve' || tag === 'review' || tag === 'reject') {
      status = tag.toUpperCase() as V2Response['fraudlabspro_status'];
      rules.push(`Email tag +${tag}`);
    }
  }

  const billCountry = params.bill_country?.toUpperCase();
  const hasShipping = Boolean(params.ship_addr || params.ship_city || params.ship_country);
  const hasCard = Boolean(params.bin_no);
  const isp = proxyType === 'TOR' ? 'Tor Exit Relay' : proxyType === 'VPN' ? 'Emulated VPN Ltd' : proxyType ? 'Emulated Hosting Inc' : 'Emulated Broadband';

  return {
    ip_geolocation: {
      ip,
      continent: 'North America',
      country_code: 'US',
      country_name: 'United States of America',
      region: 'California',
      city: 'San Jose',
      latitude: 37.33939,
      longitude: -121.89496,
      zip_code: '95101',
      timezone: '-07:00',
      isp_name: isp,
      domain: proxyType ? 'emulated-hosting.example' : 'emulated-broadband.example',
      netspeed: proxyType ? 'T1' : 'DSL',
      mobile_mnc: '-',
      mobile_mcc: '-',
      mobile_brand: '-',
      elevation: 25,
      usage_type: proxyType && proxyType !== 'PUB' ? ['DCH'] : ['ISP'],
      is_proxy: proxyType !== null,
      proxy_type: proxyType ?? '-',
      is_in_blacklist: ipBlacklisted,
    },
    billing_address: {
      ip_distance_in_km: billCountry ? 12 : null,
      ip_distance_in_mile: billCountry ? 7 : null,
      is_ip_country_match: billCountry ? billCountry === 'US' : null,
    },
    shipping_address: {
      is_address_ship_forward: hasShipping ? false : null,
      is_bill_city_match: hasShipping ? (params.ship_city ?? '') === (params.bill_city ?? '') : null,
      is_bill_state_match: hasShipping ? (params.ship_state ?? '') === (params.bill_state ?? '') : null,
      is_bill_country_match: hasShipping ? (params.ship_country ?? '').toUpperCase() === (billCountry ?? '') : null,
      is_bill_postcode_match: hasShipping ? (params.ship_zip_code ?? '') === (params.bill_zip_code ?? '') : null,
      is_export_controlled_country: hasShipping ? false : null,
      is_in_blacklist: hasShipping ? false : null,
    },
    email_address: hasEmail
      ? { is_free: free, is_disposable: disposable, is_domain_exist: domainExists, is_new_domain_name: false, is_in_blacklist: emailBlacklisted }
      : { is_free: null, is_disposable: null, is_domain_exist: null, is_new_domain_name: null, is_in_blacklist: null },
    phone_number: params.user_phone ? { is_disposable: false, is_in_blacklist: false } : { is_disposable: null, is_in_blacklist: null },
    username: params.username || params.username_hash ? { is_high_risk: false, is_in_blacklist: false } : { is_high_risk: null, is_in_blacklist: null },
    credit_card: {
      card_brand: hasCard ? 'VISA' : null,
      card_type: hasCard ? 'CREDIT' : null,
      card_issuing_bank: hasCard ? 'EMULATED BANK' : null,
      card_issuing_country: hasCard ? 'US' : null,
      is_prepaid: hasCard ? false : null,
      is_bin_exist: hasCard ? true : null,
      is_bin_country_match: hasCard ? billCountry === 'US' : null,
      is_in_blacklist: hasCard ? false : null,
    },
    device: params.flp_checksum ? { is_malware_exploit: false, is_in_blacklist: false } : { is_malware_exploit: null, is_in_blacklist: null },
    user_order_id: params.user_order_id ?? '',
    fraudlabspro_id: id,
    fraudlabspro_score: score,
    fraudlabspro_status: status,
    fraudlabspro_rules: rules,
    api_version: '2.0.0',
    remaining_credits: remainingCredits,
  };
}

const V1_KEYS = [
  'is_country_match', 'is_high_risk_country', 'distance_in_km', 'distance_in_mile', 'ip_country', 'ip_continent', 'ip_region',
  'ip_city', 'ip_latitude', 'ip_longitude', 'ip_timezone', 'ip_elevation', 'ip_domain', 'ip_mobile_mnc', 'ip_mobile_mcc',
  'ip_mobile_brand', 'ip_netspeed', 'ip_isp_name', 'ip_usage_type', 'is_free_email', 'is_disposable_email', 'is_new_domain_name',
  'is_domain_exists', 'is_proxy_ip_address', 'is_bin_found', 'is_bin_country_match', 'is_bin_name_match', 'is_bin_phone_match',
  'is_bin_prepaid', 'is_address_ship_forward', 'is_bill_ship_city_match', 'is_bill_ship_state_match', 'is_bill_ship_country_match',
  'is_bill_ship_postal_match', 'is_ship_address_blacklist', 'is_phone_blacklist', 'is_ip_blacklist', 'is_email_blacklist',
  'is_credit_card_blacklist', 'is_device_blacklist', 'is_user_blacklist', 'is_high_risk_username', 'is_export_controlled_country',
  'is_malware_exploit', 'user_order_id', 'user_order_memo',
] as const;

const V1_EMPTY: Record<string, string | number> = {
  ...Object.fromEntries(V1_KEYS.map((k) => [k, k.startsWith('is_') ? 'NA' : ''])),
  fraudlabspro_score: '',
  fraudlabspro_distribution: '',
  fraudlabspro_status: '',
  fraudlabspro_id: '',
  fraudlabspro_version: '1.5.1',
  fraudlabspro_error_code: '',
  fraudlabspro_message: '',
  fraudlabspro_credits: '',
};

const yn = (v: Bool) => (v === null ? 'NA' : v ? 'Y' : 'N');

/** The same verdict in v1's flat `Y`/`N`/`NA` shape (spec §4). */
function toV1(r: V2Response, params: Params): Record<string, string | number> {
  const g = r.ip_geolocation;
  const usage: Record<string, string> = { DCH: 'Data Center/Web Hosting/Transit', ISP: 'Fixed Line ISP' };
  return {
    ...V1_EMPTY,
    is_country_match: yn(r.billing_address.is_ip_country_match),
    is_high_risk_country: 'N',
    distance_in_km: r.billing_address.ip_distance_in_km === null ? '' : String(r.billing_address.ip_distance_in_km),
    distance_in_mile: r.billing_address.ip_distance_in_mile === null ? '' : String(r.billing_address.ip_distance_in_mile),
    ip_country: g.country_code,
    ip_continent: g.continent,
    ip_region: g.region,
    ip_city: g.city,
    ip_latitude: String(g.latitude),
    ip_longitude: String(g.longitude),
    ip_timezone: g.timezone,
    ip_elevation: String(g.elevation),
    ip_domain: g.domain,
    ip_mobile_mnc: g.mobile_mnc,
    ip_mobile_mcc: g.mobile_mcc,
    ip_mobile_brand: g.mobile_brand,
    ip_netspeed: g.netspeed,
    ip_isp_name: g.isp_name,
    ip_usage_type: usage[g.usage_type[0] ?? 'ISP'] ?? 'Fixed Line ISP',
    is_free_email: yn(r.email_address.is_free),
    is_disposable_email: yn(r.email_address.is_disposable),
    is_new_domain_name: yn(r.email_address.is_new_domain_name),
    is_domain_exists: yn(r.email_address.is_domain_exist),
    is_proxy_ip_address: yn(g.is_proxy),
    is_address_ship_forward: yn(r.shipping_address.is_address_ship_forward),
    is_bill_ship_city_match: yn(r.shipping_address.is_bill_city_match),
    is_bill_ship_state_match: yn(r.shipping_address.is_bill_state_match),
    is_bill_ship_country_match: yn(r.shipping_address.is_bill_country_match),
    is_bill_ship_postal_match: yn(r.shipping_address.is_bill_postcode_match),
    is_ip_blacklist: yn(g.is_in_blacklist),
    is_email_blacklist: yn(r.email_address.is_in_blacklist),
    is_export_controlled_country: 'N',
    is_malware_exploit: yn(r.device.is_malware_exploit),
    user_order_id: r.user_order_id,
    user_order_memo: params.user_order_memo ?? '',
    fraudlabspro_score: r.fraudlabspro_score,
    fraudlabspro_distribution: String(Math.min(99, r.fraudlabspro_score + 40)),
    fraudlabspro_status: r.fraudlabspro_status,
    fraudlabspro_id: r.fraudlabspro_id,
    fraudlabspro_credits: r.remaining_credits,
  };
}

function xml(c: Context, payload: unknown, status: 200 | 400): Response {
  c.header('content-type', 'application/xml; charset=utf-8');
  return c.body(`<?xml version="1.0" encoding="UTF-8"?>\n${xmlElement('response', payload)}`, status);
}

function xmlElement(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name}/>`;
  if (Array.isArray(value)) return `<${name}>${value.map((v) => xmlElement('item', v)).join('')}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value as Record<string, unknown>).map(([k, v]) => xmlElement(k, v)).join('')}</${name}>`;
  }
  const text = String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<${name}>${text}</${name}>`;
}
