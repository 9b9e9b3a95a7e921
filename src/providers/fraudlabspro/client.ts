import { isIP } from 'node:net';
import { parseJsonObject, describeNetworkError } from '../../lib/http.ts';
import {
  FraudLabsProError,
  type FraudLabsProClient,
  type FraudLabsProDecision,
  type FraudLabsProResult,
  type FraudLabsProScreenResponse,
  type ScreenOrderInput,
} from './types.ts';

export * from './types.ts';

/**
 * FraudLabs Pro order screening over plain `fetch`: `POST /v2/order/screen` with the API key
 * as the `key` form field (`specs/fraudlabspro.md` §1–§5). Tests and demo mode point `baseUrl`
 * at the emulator (`emulator/`); production uses `https://api.fraudlabspro.com`.
 *
 * This module only screens and normalises: it answers with FraudLabs Pro's facts. Whether a
 * check blocks, holds or passes is the domain's decision (`src/domain/fraud/policy.ts`), and
 * so is what to do when the provider is unreachable (fail open or closed), made on
 * `FraudLabsProError.retryable` / `.code`.
 */

export const FRAUDLABSPRO_BASE_URL = 'https://api.fraudlabspro.com';

export interface FraudLabsProClientOptions {
  /** `https://api.fraudlabspro.com` in production; the emulator's URL in tests and demo mode. */
  baseUrl: string;
  apiKey: string;
  /** Whole-request budget (default 5 s): screening sits in front of a user waiting for a page. */
  timeoutMs?: number;
}

const SOURCE = 'skypanel';
const SOURCE_VERSION = '1.0';
const DECIMAL = /^\d{1,12}(\.\d{1,6})?$/;
const CURRENCY = /^[A-Z]{3}$/;
const COUNTRY = /^[A-Z]{2}$/;

export function createFraudLabsProClient(opts: FraudLabsProClientOptions): FraudLabsProClient {
  const endpoint = `${opts.baseUrl.replace(/\/+$/, '')}/v2/order/screen`;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const scrub = secretScrubber(opts.apiKey);

  return {
    async screenOrder(input) {
      const form = toForm(input);
      form.set('key', opts.apiKey);
      form.set('format', 'json');
      form.set('source', SOURCE);
      form.set('source_version', SOURCE_VERSION);

      let res: Response;
      let text: string;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
            'user-agent': SOURCE,
          },
          body: form.toString(),
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await res.text();
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        throw new FraudLabsProError(
          scrub(`FraudLabs Pro request failed: ${describeNetworkError(err, timeoutMs)}`),
          true,
          timedOut ? 'timeout' : 'network',
        );
      }

      const json = parseJsonObject(text);
      const apiError = json ? readApiError(json) : null;
      if (apiError) {
        // FLP error envelope: 4xx on v2; tolerate it inside a 2xx too. Only a 5xx/408/429 is worth retrying.
        const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
        throw new FraudLabsProError(
          scrub(`FraudLabs Pro ${res.status} error ${apiError.code}: ${apiError.message}`),
          retryable,
          apiError.code,
          res.status,
        );
      }
      if (!res.ok) {
        const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
        throw new FraudLabsProError(
          scrub(`FraudLabs Pro answered ${res.status}${json ? '' : ' with a non-JSON body'}`),
          retryable,
          `http_${res.status}`,
          res.status,
        );
      }
      if (!json)
        throw new FraudLabsProError(
          `FraudLabs Pro answered ${res.status} with a non-JSON body`,
          true,
          'bad_response',
          res.status,
        );
      const result = normalise(json as FraudLabsProScreenResponse);
      if (typeof result === 'string') {
        throw new FraudLabsProError(
          `FraudLabs Pro answered ${res.status} without ${result}`,
          true,
          'bad_response',
          res.status,
        );
      }
      return result;
    },
  };
}

/** Maps our input to FLP form fields, refusing values FLP would reject or misread. */
function toForm(input: ScreenOrderInput): URLSearchParams {
  const invalid = (what: string) => new FraudLabsProError(`Invalid screening input: ${what}`, false, 'invalid_input');
  const form = new URLSearchParams();
  const put = (name: string, value: string | number | undefined) => {
    if (value === undefined) return;
    const s = String(value).trim();
    if (s !== '') form.set(name, s);
  };

  const ip = normaliseIp(input.ip ?? '');
  if (!ip) throw invalid('ip must be an IPv4 or IPv6 address');
  put('ip', ip);
  put('email', input.email);
  put('email_domain', input.emailDomain);
  put('first_name', input.firstName);
  put('last_name', input.lastName);
  put('username', input.username);
  put('user_phone', input.phone);
  put('flp_checksum', input.flpChecksum);

  if (input.billing) {
    const country = input.billing.country?.trim().toUpperCase();
    if (country && !COUNTRY.test(country)) throw invalid('billing country must be an ISO-3166 alpha-2 code');
    put('bill_addr', input.billing.address);
    put('bill_city', input.billing.city);
    put('bill_state', input.billing.state);
    put('bill_zip_code', input.billing.zipCode);
    put('bill_country', country);
  }

  if (input.orderId !== undefined && input.orderId.trim().length > 15)
    throw invalid('orderId must be at most 15 characters');
  if (input.orderMemo !== undefined && input.orderMemo.trim().length > 200)
    throw invalid('orderMemo must be at most 200 characters');
  put('user_order_id', input.orderId);
  put('user_order_memo', input.orderMemo);

  if (input.amount !== undefined && !DECIMAL.test(input.amount))
    throw invalid('amount must be a decimal string such as "25.00"');
  put('amount', input.amount);
  if (input.currency !== undefined && !CURRENCY.test(input.currency))
    throw invalid('currency must be an ISO-4217 code such as "USD"');
  put('currency', input.currency);
  if (input.quantity !== undefined && !(Number.isSafeInteger(input.quantity) && input.quantity > 0))
    throw invalid('quantity must be a positive integer');
  put('quantity', input.quantity);
  put('payment_mode', input.paymentMode);
  put('payment_gateway', input.paymentGateway);
  put('department', input.department);
  return form;
}

function normaliseIp(raw: string): string | null {
  const ip = raw.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  const candidate = mapped?.[1] ?? ip;
  return isIP(candidate) ? candidate : null;
}

const STATUSES: Record<string, FraudLabsProDecision> = { APPROVE: 'approve', REVIEW: 'review', REJECT: 'reject' };

/** Returns the normalised result, or the name of the field that was missing or unreadable. */
function normalise(raw: FraudLabsProScreenResponse): FraudLabsProResult | string {
  const decision = STATUSES[String(raw.fraudlabspro_status ?? '').toUpperCase()];
  if (!decision) return 'a known fraudlabspro_status';
  const score = toInt(raw.fraudlabspro_score);
  if (score === null) return 'a numeric fraudlabspro_score';
  const transactionId = typeof raw.fraudlabspro_id === 'string' ? raw.fraudlabspro_id : '';
  if (!transactionId) return 'a fraudlabspro_id';

  const ip = raw.ip_geolocation ?? {};
  const email = raw.email_address ?? {};
  const proxyType = typeof ip.proxy_type === 'string' ? ip.proxy_type.trim().toUpperCase() : '';
  const isNamedType = proxyType !== '' && proxyType !== '-' && proxyType !== 'NA';
  const proxy = yes(ip.is_proxy) || isNamedType;
  const domainExists = email.is_domain_exist ?? email.is_domain_exists;

  const rules = Array.isArray(raw.fraudlabspro_rules)
    ? raw.fraudlabspro_rules.filter((r): r is string => typeof r === 'string')
    : [];
  return {
    decision,
    score,
    transactionId,
    rules,
    remainingCredits: toInt(raw.remaining_credits),
    flags: {
      proxy,
      vpn: proxyType === 'VPN',
      tor: proxyType === 'TOR',
      proxyType: proxy ? (isNamedType ? proxyType : null) : null,
      ipBlacklisted: yes(ip.is_in_blacklist),
      disposableEmail: yes(email.is_disposable),
      emailBlacklisted: yes(email.is_in_blacklist),
      freeEmail: yes(email.is_free),
      emailDomainExists: domainExists === true ? true : domainExists === false ? false : null,
      highRiskUsername: yes(raw.username?.is_high_risk),
    },
    raw,
  };
}

/** Spec §3: booleans are JSON booleans on v2; treat anything but `true` as false. */
const yes = (v: unknown) => v === true;

function toInt(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.round(v);
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v));
  return null;
}

/** `{"error": {"error_code": 10001, "error_message": "INVALID API KEY"}}` (code as number or string). */
function readApiError(json: Record<string, unknown>): { code: string; message: string } | null {
  const e = json.error;
  if (!e || typeof e !== 'object' || Array.isArray(e)) return null;
  const { error_code: code, error_message: message } = e as Record<string, unknown>;
  if (typeof code !== 'number' && typeof code !== 'string') return null;
  return { code: String(code), message: typeof message === 'string' ? message : 'unknown error' };
}

/**
 * The key travels as a form field (and, on v1, in the query string), so any echo of the
 * request — a proxy's error page, a fetch error naming the URL — could carry it. Remove it in
 * every spelling it may take: raw, percent-encoded, form-encoded.
 */
function secretScrubber(secret: string): (s: string) => string {
  const spellings = [
    ...new Set([secret, encodeURIComponent(secret), new URLSearchParams({ k: secret }).toString().slice(2)]),
  ]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length);
  return (s) => spellings.reduce((acc, needle) => acc.split(needle).join('[redacted]'), s);
}
