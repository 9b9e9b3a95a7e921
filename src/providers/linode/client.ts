import type { z } from 'zod';
import {
  attemptFetch,
  backoff,
  parseJsonObject,
  parseRetryAfter,
  queryString,
  type HttpAttempt,
} from '../../lib/http.ts';
import { CloudError, type CloudErrorKind } from '../cloud.ts';
import { errorEnvelopeSchema, pageSchema, type LinodeFilter, type LinodePage } from './types.ts';

/**
 * Linode API v4 over plain `fetch` (specs/linode-api-v4.md §1–§5). One client per token.
 *
 * Retries: only calls that are safe to repeat (GET, PUT, DELETE, or a POST the caller marks
 * `idempotent`) are retried, on 429, 408, 5xx (never a 503 carrying `X-Maintenance-Mode`:
 * that is maintenance, not a blip, and linodego refuses it too), `400 "Linode busy."`,
 * timeouts and network errors; with exponential backoff and jitter, or after `Retry-After`
 * when Linode sends one. A create or a power action is never repeated on our own: the caller
 * decides (a create looks its instance up by tag instead; see index.ts).
 *
 * Every failure is a `CloudError`: `message` for staff (status, method, path, Linode's field
 * errors), `customerMessage` white-label (never names Linode or Akamai, never quotes them).
 * The token never appears in either, nor in anything logged.
 */

export interface LinodeClientOptions {
  /** Default `https://api.linode.com/v4`; the emulator's `url` in tests and demo mode. */
  baseUrl?: string;
  /** Personal access token (bearer). */
  token: string;
  /** Budget per HTTP attempt. Default 20 s. */
  timeoutMs?: number;
  /** Retries after the first attempt, for calls that may be repeated. Default 3. */
  retries?: number;
  /** Waits between attempts; tests pass one that steps a clock instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1) source for jitter. Default Math.random. */
  random?: () => number;
  /** Longest `Retry-After` worth waiting for inside one call; longer ones are thrown. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Receives one line per retry (method, path, status, delay): never the token or a body. */
  logger?: { warn(obj: Record<string, unknown>, msg: string): void };
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  filter?: LinodeFilter;
  /** Safe to repeat. Default: true for GET, PUT and DELETE; false for POST. */
  idempotent?: boolean;
}

export interface LinodeClient {
  readonly baseUrl: string;
  /** One call; the parsed JSON object of a 2xx answer. */
  request(method: HttpMethod, path: string, opts?: RequestOptions): Promise<Record<string, unknown>>;
  /** One call whose answer must match `schema`. */
  call<T>(schema: z.ZodType<T>, method: HttpMethod, path: string, opts?: RequestOptions): Promise<T>;
  /** One page of a collection. `pageSize` 25–500 (default 500). */
  page(path: string, opts?: { page?: number; pageSize?: number; filter?: LinodeFilter }): Promise<LinodePage<unknown>>;
  /** Every item of a collection, following `pages`, each item checked against `schema`. */
  all<T>(schema: z.ZodType<T>, path: string, opts?: { pageSize?: number; filter?: LinodeFilter }): Promise<T[]>;
}

export const DEFAULT_BASE_URL = 'https://api.linode.com/v4';
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 8_000;
/** A collection longer than this many pages is a loop, not an account. */
const MAX_PAGES = 1_000;

type Attempt = HttpAttempt;

export function createLinodeClient(opts: LinodeClientOptions): LinodeClient {
  const baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const retries = opts.retries ?? 3;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = opts.random ?? Math.random;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
  const scrub = (s: string) => (opts.token ? s.split(opts.token).join('[redacted]') : s);

  function attempt(method: HttpMethod, url: string, body: string | undefined, filter: string | undefined) {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (filter !== undefined) headers['x-filter'] = filter;
    return attemptFetch(url, { method, headers, body }, timeoutMs);
  }

  async function request(method: HttpMethod, path: string, o: RequestOptions = {}): Promise<Record<string, unknown>> {
    const idempotent = o.idempotent ?? method !== 'POST';
    const url = baseUrl + path + queryString(o.query);
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const filter = o.filter === undefined ? undefined : JSON.stringify(o.filter);
    const where = `${method} ${path}`;
    // An earlier attempt may have taken effect without us hearing about it.
    let uncertain = false;
    for (let n = 1; ; n++) {
      const a = await attempt(method, url, body, filter);
      if (a.kind === 'answer' && a.res.ok) {
        const json = parseJsonObject(a.raw);
        if (!json) throw invalidAnswer(where, a.res.status, 'a body that is not a JSON object');
        return json;
      }
      // A retried DELETE that finds nothing: the first one went through.
      if (a.kind === 'answer' && a.res.status === 404 && method === 'DELETE' && uncertain) return {};
      const failure = a.kind === 'answer' ? fromAnswer(where, a.res, a.raw, n) : fromTransport(where, a, timeoutMs, n);
      const retryAfterMs = failure.opts.retryAfter !== undefined ? failure.opts.retryAfter * 1000 : undefined;
      const retryable = isRetryable(a);
      if (!idempotent || !retryable || n > retries || (retryAfterMs ?? 0) > maxRetryAfterMs) throw scrubbed(failure);
      uncertain ||= a.kind !== 'answer' || a.res.status >= 500 || a.res.status === 408;
      const delay =
        retryAfterMs !== undefined
          ? retryAfterMs + Math.floor(random() * BACKOFF_BASE_MS)
          : backoff(n, random, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
      opts.logger?.warn(
        { method, path, status: a.kind === 'answer' ? a.res.status : a.kind, attempt: n, delayMs: delay },
        'Linode call failed; retrying',
      );
      await sleep(delay);
    }
  }

  function scrubbed(e: CloudError): CloudError {
    return new CloudError(e.kind, scrub(e.message), e.customerMessage, e.opts);
  }

  async function call<T>(schema: z.ZodType<T>, method: HttpMethod, path: string, o?: RequestOptions): Promise<T> {
    return parseWith(schema, await request(method, path, o), `${method} ${path}`);
  }

  async function page(
    path: string,
    o: { page?: number; pageSize?: number; filter?: LinodeFilter } = {},
  ): Promise<LinodePage<unknown>> {
    const query = { page: o.page ?? 1, page_size: o.pageSize ?? 500 };
    return parseWith(pageSchema, await request('GET', path, { query, filter: o.filter }), `GET ${path}`);
  }

  async function all<T>(
    schema: z.ZodType<T>,
    path: string,
    o: { pageSize?: number; filter?: LinodeFilter } = {},
  ): Promise<T[]> {
    const items: T[] = [];
    for (let n = 1; n <= MAX_PAGES; n++) {
      const p = await page(path, { page: n, pageSize: o.pageSize, filter: o.filter });
      for (const item of p.data) items.push(parseWith(schema, item, `GET ${path}`));
      // Linode answers the last page again for a page past the end; stop on either sign.
      if (p.page >= p.pages || p.data.length === 0) return items;
    }
    throw invalidAnswer(`GET ${path}`, 200, `more than ${MAX_PAGES} pages`);
  }

  return { baseUrl, request, call, page, all };
}

/** The body checked against `schema`, or an `unavailable` CloudError naming the first bad field. */
export function parseWith<T>(schema: z.ZodType<T>, json: unknown, where: string): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const at = parsed.error.issues[0]?.path.join('.') || 'body';
  throw invalidAnswer(where, 200, `an unexpected body (at ${at})`);
}

function invalidAnswer(where: string, status: number, what: string): CloudError {
  return new CloudError('unavailable', `Linode ${where} answered ${status} with ${what}`, CUSTOMER.unexpected, {
    status,
  });
}

const BUSY = /\bbusy\b/i;

function isRetryable(a: Attempt): boolean {
  if (a.kind !== 'answer') return true;
  const s = a.res.status;
  if (s === 503 && a.res.headers.has('x-maintenance-mode')) return false;
  if (s === 429 || s === 408 || s >= 500) return true;
  return s === 400 && reasonsOf(a.raw).some((e) => BUSY.test(e.reason));
}

type FieldError = { field?: string | null; reason: string };

function reasonsOf(raw: string): FieldError[] {
  const parsed = errorEnvelopeSchema.safeParse(parseJsonObject(raw));
  return parsed.success ? parsed.data.errors : [];
}

function fromTransport(
  where: string,
  a: Exclude<Attempt, { kind: 'answer' }>,
  timeoutMs: number,
  attempts: number,
): CloudError {
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if (a.kind === 'timeout')
    return new CloudError('timeout', `Linode ${where} timed out after ${timeoutMs} ms${tries}`, CUSTOMER.timeout);
  return new CloudError('network', `Linode ${where} failed: ${a.detail}${tries}`, CUSTOMER.network);
}

function fromAnswer(where: string, res: Response, raw: string, attempts: number): CloudError {
  const errors = reasonsOf(raw);
  const status = res.status;
  const maintenance = status === 503 && res.headers.has('x-maintenance-mode');
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  const detail = errors.length
    ? errors.map((e) => (e.field ? `${e.field}: ${e.reason}` : e.reason)).join('; ')
    : 'no error envelope';
  const notes = [
    maintenance ? 'maintenance mode' : '',
    retryAfter !== undefined ? `Retry-After ${retryAfter} s` : '',
    attempts > 1 ? `after ${attempts} attempts` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const message = `Linode ${where} failed: ${status} ${detail}${notes ? ` (${notes})` : ''}`;
  const { kind, customer } = classify(status, errors, maintenance);
  const field = errors.find((e) => e.field)?.field ?? undefined;
  return new CloudError(kind, message, customer, { status, field, retryAfter });
}

/** Customer-facing wording: ours, never Linode's. */
const CUSTOMER = {
  unauthorized: 'Server management is temporarily unavailable.',
  forbidden: 'This action is not available at the moment.',
  notFound: 'That server or resource could not be found.',
  busy: 'The server is busy with another operation; try again in a minute.',
  overloaded: 'The server platform is under heavy load; try again in a minute.',
  conflict: 'That change conflicts with another one in progress; try again in a minute.',
  rateLimited: 'Too many requests right now; try again in a minute.',
  maintenance: 'Server management is down for maintenance; try again later.',
  unavailable: 'The server platform had a problem; try again in a few minutes.',
  unexpected: 'The server platform gave an unexpected answer; try again in a few minutes.',
  timeout: 'The server platform did not answer in time; try again in a minute.',
  network: 'The server platform could not be reached; try again in a few minutes.',
  invalid: 'The request could not be completed; check the details and try again.',
} as const;

/** Field-specific refusals, first match wins. `field` is Linode's, `reason` its text. */
const VALIDATION: Array<{ test: (e: FieldError) => boolean; message: string }> = [
  {
    test: (e) => /wait 24 hours/i.test(e.reason),
    message: 'Backups were cancelled recently; they can be enabled again 24 hours after cancelling.',
  },
  {
    test: (e) => /must be (shut ?down|powered off|offline)/i.test(e.reason),
    message: 'Power the server off before resetting its root password.',
  },
  {
    test: (e) =>
      e.field === 'root_pass' ||
      e.field === 'password' ||
      (/password/i.test(e.reason) && /strength|complex|did not meet|weak/i.test(e.reason)),
    message: 'Choose a stronger root password.',
  },
  {
    test: (e) => /backups? (are |is )?not enabled/i.test(e.reason),
    message: 'Backups are not enabled on this server.',
  },
  {
    test: (e) => /snapshot.*(progress|already)/i.test(e.reason),
    message: 'A snapshot is already being taken; try again when it has finished.',
  },
  {
    test: (e) => e.field === 'rdns',
    message: 'The reverse DNS name must first resolve to this address: add an A or AAAA record for it, then try again.',
  },
  {
    test: (e) => e.field === 'label' && /unique|already|taken|in use/i.test(e.reason),
    message: 'That name is already in use; choose another.',
  },
  { test: (e) => e.field === 'label' && /required|missing/i.test(e.reason), message: 'Enter a name.' },
  {
    test: (e) => e.field === 'label',
    message:
      'That name is not allowed: use 3 to 64 letters, digits, dashes, underscores or dots, starting with a letter.',
  },
  { test: (e) => e.field === 'type' && /already|same/i.test(e.reason), message: 'The server is already on that plan.' },
  { test: (e) => e.field === 'type', message: 'That plan is not available.' },
  { test: (e) => e.field === 'region', message: 'That region is not available.' },
  { test: (e) => e.field === 'image', message: 'That operating system image is not available for this server.' },
  {
    test: (e) => !!e.field?.startsWith('stackscript'),
    message: "Check the app's settings: a required field is missing or has a value that is not allowed.",
  },
  { test: (e) => e.field === 'authorized_keys', message: 'One of the SSH keys is not a valid public key.' },
  { test: (e) => e.field === 'linode_id', message: 'That backup cannot be restored onto the chosen server.' },
  {
    test: (e) => /already (assigned|attached|belongs)|only have one/i.test(e.reason),
    message: 'That server already has a firewall attached.',
  },
  {
    test: (e) => !!e.field?.startsWith('rules') || /^(inbound|outbound)/.test(e.field ?? ''),
    message: 'Check the firewall rules: one of them is not valid.',
  },
  { test: (e) => /stats|statistics/i.test(e.reason), message: 'Statistics are not available for this server yet.' },
];

function classify(
  status: number,
  errors: FieldError[],
  maintenance: boolean,
): { kind: CloudErrorKind; customer: string } {
  if (status === 400 && errors.some((e) => BUSY.test(e.reason))) return { kind: 'busy', customer: CUSTOMER.busy };
  if (status === 400 || status === 422) {
    for (const rule of VALIDATION) if (errors.some(rule.test)) return { kind: 'validation', customer: rule.message };
    return { kind: 'validation', customer: CUSTOMER.invalid };
  }
  if (status === 401) return { kind: 'unauthorized', customer: CUSTOMER.unauthorized };
  if (status === 403) return { kind: 'forbidden', customer: CUSTOMER.forbidden };
  if (status === 404) return { kind: 'not_found', customer: CUSTOMER.notFound };
  if (status === 408) return { kind: 'timeout', customer: CUSTOMER.overloaded };
  if (status === 409) return { kind: 'busy', customer: CUSTOMER.conflict };
  if (status === 429) return { kind: 'rate_limited', customer: CUSTOMER.rateLimited };
  if (maintenance) return { kind: 'unavailable', customer: CUSTOMER.maintenance };
  if (status >= 500) return { kind: 'unavailable', customer: CUSTOMER.unavailable };
  return { kind: 'validation', customer: CUSTOMER.invalid };
}
