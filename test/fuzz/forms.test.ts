import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import { formsOn, linksOn, match, templateOf, type RouteTemplate } from './crawl.ts';
import { fromList, nastyString, UUID } from './inputs.ts';
import { check, RUNS, SEED, show, Stats, watchRejections } from './run.ts';
import { appShape, useFuzzWorld, type Credentials, type Role } from './world.ts';

/**
 * Issue 18 item 5, the forms: every non-GET HTML route of the app's route table, posted with a
 * live session and its CSRF token as Acme's owner and as its viewer (and the staff pages as a
 * platform admin), and by a visitor who is not signed in (with a visitor's CSRF cookie and
 * token, as the public forms — sign-in, registration, password reset, contact — get them), with the fields the pages' own forms have (found by crawling the pages as
 * those callers) filled with what the page offered, with random and hostile strings, with
 * fields missing, repeated or unknown, path ids own, foreign and malformed, form-encoded or
 * multipart, as htmx or as a plain browser. Whatever the input: no 5xx, no unhandled rejection,
 * a refusal is the form again (422, HTML with a form), a redirect, or an HTML 4xx page; and
 * the ledger still adds up. FUZZ_SEED varies the inputs (a failure prints it), FUZZ_RUNS scales them.
 */

const EMULATORS = '/_emulators/';
const shape = await appShape();
const all = shape.routes.map((r) => templateOf(r.method, r.path));
const htmlGets = all.filter((t) => t.method === 'GET' && !t.path.startsWith('/api/') && !t.path.startsWith(EMULATORS));
const writes = all.filter((t) => t.method !== 'GET' && !t.path.startsWith('/api/') && !t.path.startsWith(EMULATORS));
const isStaffRoute = (t: RouteTemplate) => t.path.startsWith('/admin') || t.path === '/impersonation';

const w = useFuzzWorld();
const rejections = watchRejections();
const stats = new Stats('forms');

/** What the crawl found per write route (`METHOD path`): concrete URLs and fields with the values offered. */
const forms = new Map<string, { urls: Set<string>; fields: Map<string, Set<string>> }>();
/** A parameter's place: the route up to it (`/vps/:id` for the `:id` of `/vps/:id/boot`), so values of one place fit another route's. */
const prefixOf = (path: string, param: string) => path.slice(0, path.indexOf(`:${param}`) + param.length + 1);
/** Path parameter values by place, from every URL the pages named (own), and ids of Globex's things (foreign). */
const paramValues = new Map<string, Set<string>>();
const foreignIds: string[] = [];
const ownIds = new Set<string>();

const keyOf = (t: RouteTemplate) => `${t.method} ${t.path}`;

function note(method: string, url: string, fields?: Map<string, Set<string>>) {
  const m = match(all, method, url);
  if (!m || m.t.path.startsWith('/api/')) return null;
  m.t.params.forEach((p, i) => {
    const at = prefixOf(m.t.path, p);
    if (!paramValues.has(at)) paramValues.set(at, new Set());
    paramValues.get(at)!.add(m.values[i]!);
    if (UUID.test(m.values[i]!)) ownIds.add(m.values[i]!);
  });
  if (fields) {
    const entry = forms.get(keyOf(m.t)) ?? { urls: new Set(), fields: new Map() };
    entry.urls.add(url);
    for (const [k, vs] of fields) {
      if (!entry.fields.has(k)) entry.fields.set(k, new Set());
      for (const v of vs) entry.fields.get(k)!.add(v);
    }
    forms.set(keyOf(m.t), entry);
  }
  return m;
}

/** Visits the pages `creds` can see (at most two per route), noting forms, their fields and the URLs named. */
async function crawl(creds: Credentials, start: (t: RouteTemplate) => boolean, maxPages = 260) {
  const queue = htmlGets.filter((t) => t.params.length === 0 && start(t)).map((t) => t.path);
  const perRoute = new Map<string, number>();
  const visited = new Set<string>();
  let pages = 0;
  while (queue.length && pages < maxPages) {
    const url = queue.shift()!;
    if (visited.has(url)) continue;
    visited.add(url);
    const m = match(htmlGets, 'GET', url);
    if (!m) continue;
    const n = perRoute.get(m.t.path) ?? 0;
    if (n >= 2) continue;
    perRoute.set(m.t.path, n + 1);
    pages++;
    const res = await w.ctx.app.request(url, {
      headers: { cookie: creds.cookie, 'x-forwarded-for': '198.51.100.20', 'sec-fetch-site': 'same-origin' },
    });
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('text/html')) {
      await res.body?.cancel();
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) continue;
    note('GET', url);
    for (const f of formsOn(html, url)) note(f.method, f.url, f.fields);
    for (const link of linksOn(html, url)) if (!visited.has(link) && match(htmlGets, 'GET', link)) queue.push(link);
  }
  return pages;
}

/** Ids of Globex's things, from every table with an organization_id: each must be 404 to Acme's callers. */
async function globexIds() {
  const { rows } = await sql<{ table_name: string }>`
    select c.table_name from information_schema.columns c
      join information_schema.columns i on i.table_name = c.table_name and i.table_schema = c.table_schema and i.column_name = 'id'
     where c.table_schema = 'public' and c.column_name = 'organization_id'`.execute(w.ctx.db);
  for (const { table_name } of rows) {
    const found = await sql<{
      id: string;
    }>`select id::text as id from ${sql.table(table_name)} where organization_id = ${w.globex.id} limit 3`.execute(
      w.ctx.db,
    );
    foreignIds.push(...found.rows.map((r) => r.id));
  }
  foreignIds.push(w.globex.id, w.globex.ownerId);
}

/** A visitor who is not signed in: the anonymous CSRF cookie (middleware/csrf.ts) and its token, as a public page hands them out. */
const visitorToken = randomBytes(24).toString('base64url');
const visitor: Credentials = { userId: '', cookie: `sp_csrf=${visitorToken}`, csrf: visitorToken, bearer: '' };

let pagesCrawled = 0;
beforeAll(async () => {
  pagesCrawled += await crawl(visitor, (t) => !isStaffRoute(t), 60);
  pagesCrawled += await crawl(await w.caller('owner'), (t) => !isStaffRoute(t));
  pagesCrawled += await crawl(await w.caller('staff'), (t) => isStaffRoute(t), 200);
  await globexIds();
});

afterEach(async () => {
  await w.replenish('acme');
});

/** Field names forms commonly have, for a route no page offered a form for. */
const COMMON_FIELDS = [
  'name',
  'email',
  'password',
  'amount',
  'label',
  'description',
  'id',
  'url',
  'message',
  'subject',
  'body',
  'value',
  'domain',
  'type',
  'status',
  'role_id',
  'permissions',
  'reason',
  'title',
  'slug',
  'content',
];

const clean = (s: string) => s.replace(/[\uD800-\uDFFF]/g, '\uFFFD');

function requestArb(t: RouteTemplate) {
  const seen = forms.get(keyOf(t));
  const urls = [...(seen?.urls ?? [])];
  const fill = (values: Record<string, string>) =>
    t.path.replace(/:(\w+)/g, (_, p: string) => encodeURIComponent(clean(values[p] ?? '')));
  const own = (p: string) =>
    fromList(
      () => [...(paramValues.get(prefixOf(t.path, p)) ?? [])],
      fromList(() => [...ownIds], fc.uuid()),
    );
  const paramArb = (p: string) =>
    fc.oneof(
      { weight: 8, arbitrary: own(p) },
      { weight: 2, arbitrary: fromList(() => foreignIds, fc.uuid()) },
      { weight: 2, arbitrary: nastyString },
    );
  const url = t.params.length
    ? fc.oneof(...(urls.length ? [{ weight: 3, arbitrary: fc.constantFrom(...urls) }] : []), {
        weight: 2,
        arbitrary: fc.record(Object.fromEntries(t.params.map((p) => [p, paramArb(p)]))).map(fill),
      })
    : fc.constant(t.path);
  const known = seen ? [...seen.fields].filter(([k]) => k !== '_csrf') : [];
  const valueFor = (offered: string[]) =>
    fc.oneof(
      ...(offered.length
        ? [
            { weight: 6, arbitrary: fc.constantFrom(...offered) },
            // What the page offered with a NUL in it (PostgreSQL text cannot hold one).
            { weight: 1, arbitrary: fc.constantFrom(...offered).map((v) => `${v}\u0000`) },
          ]
        : []),
      { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
      { weight: 2, arbitrary: nastyString },
      { weight: 1, arbitrary: fromList(() => [...ownIds, ...foreignIds], fc.uuid()) },
    );
  const fieldNames = known.length ? known : COMMON_FIELDS.map((k) => [k, new Set<string>()] as const);
  const fields = fc.tuple(
    ...fieldNames.map(([k, vs]) =>
      fc.oneof(
        { weight: known.length ? 8 : 1, arbitrary: valueFor([...vs]).map((v) => [[k, v]] as [string, string][]) },
        {
          weight: 1,
          arbitrary: fc
            .array(valueFor([...vs]), { minLength: 2, maxLength: 3 })
            .map((vs2) => vs2.map((v) => [k, v] as [string, string])),
        },
        { weight: known.length ? 2 : 4, arbitrary: fc.constant([] as [string, string][]) },
      ),
    ),
  );
  const extra = fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(
          'id',
          'organization_id',
          'user_id',
          'is_admin',
          'role_id',
          'status',
          'amount',
          '_method',
          '__proto__',
        ),
        fc.string({ maxLength: 12 }),
      ),
      fc.oneof(fc.string({ maxLength: 20 }), nastyString),
    ),
    { maxLength: 2 },
  );
  return fc.record({
    url,
    pairs: fc.tuple(fields, extra).map(([f, e]) => [...f.flat(), ...e]),
    encoding: fc.constantFrom('urlencoded', 'urlencoded', 'urlencoded', 'urlencoded', 'multipart', 'none'),
    htmx: fc.boolean(),
    csrfInBody: fc.boolean(),
  });
}

type FormRequest = ReturnType<typeof requestArb> extends fc.Arbitrary<infer T> ? T : never;

async function send(t: RouteTemplate, creds: Credentials, req: FormRequest, ip: string) {
  const headers: Record<string, string> = {
    cookie: creds.cookie,
    'x-forwarded-for': ip,
    'sec-fetch-site': 'same-origin',
  };
  if (req.htmx) headers['hx-request'] = 'true';
  const pairs = req.pairs.map(([k, v]) => [clean(k), clean(v)] as [string, string]);
  if (req.csrfInBody && req.encoding !== 'none') pairs.push(['_csrf', creds.csrf]);
  else headers['x-csrf-token'] = creds.csrf;
  let body: BodyInit | undefined;
  if (req.encoding === 'urlencoded') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(pairs).toString();
  } else if (req.encoding === 'multipart') {
    const fd = new FormData();
    for (const [k, v] of pairs) fd.append(k, v);
    body = fd;
  } else if (!headers['x-csrf-token']) headers['x-csrf-token'] = creds.csrf;
  const res = await w.ctx.app.request(req.url, { method: t.method, headers, body });
  // FUZZ_DEBUG=1: every request and its status, to replay what led up to a failure.
  if (process.env.FUZZ_DEBUG) console.log(t.method, req.url, res.status, req.encoding, show(req.pairs, 300));
  const type = res.headers.get('content-type') ?? '';
  const text = type.includes('event-stream') ? (await res.body?.cancel(), '') : await res.text();
  return { status: res.status, type, text, location: res.headers.get('location') };
}

/** What is wrong with a form's answer, or null. */
function judge(res: Awaited<ReturnType<typeof send>>): string | null {
  if (res.status >= 500) return `${res.status}: ${show(res.text.replace(/\s+/g, ' '), 400)}`;
  if (res.status === 422) {
    if (!res.type.includes('text/html')) return `422 is not HTML (${res.type})`;
    if (!/<form\b/i.test(res.text) && !/name="/.test(res.text)) return `422 without the form: ${show(res.text, 300)}`;
  } else if (res.status >= 400 && res.text && !res.type.includes('text/html')) {
    // A few routes outside /api answer JSON (a provider's webhook, the console's ticket): then JSON it is.
    if (!res.type.includes('application/json'))
      return `${res.status} is not a page (${res.type}): ${show(res.text, 200)}`;
    try {
      JSON.parse(res.text);
    } catch {
      return `${res.status} with JSON that does not parse: ${show(res.text, 200)}`;
    }
  }
  return null;
}

async function fuzzRoute(t: RouteTemplate, who: Role | 'visitor', creds: Credentials) {
  const ip = { owner: '198.51.100.21', viewer: '198.51.100.22', staff: '198.51.100.23', visitor: '198.51.100.25' }[who];
  return check(`${keyOf(t)} as ${who}`, requestArb(t), RUNS, async (req) => {
    const res = await send(t, creds, req, ip);
    stats.record(keyOf(t), who, res.status);
    const problem = judge(res);
    if (!problem) return null;
    const body =
      req.encoding === 'none'
        ? ''
        : ` ${show(new URLSearchParams(req.pairs.map(([k, v]) => [clean(k), clean(v)])).toString(), 400)}`;
    return `${problem} for ${t.method} ${req.url}${body} (${req.encoding}${req.htmx ? ', htmx' : ''})`;
  });
}

/** Query parameters the pages read (search, filters, paging, tabs). */
const QUERY_KEYS = [
  'q',
  'status',
  'page',
  'cursor',
  'before',
  'after',
  'sort',
  'kind',
  'from',
  'to',
  'category',
  'tab',
  'region',
  'scope',
  'server_id',
  'organization_id',
  'next',
  'limit',
  'open',
  'priority',
  'assignee',
  'action',
  'plan_id',
  'step',
];

function pageArb(t: RouteTemplate) {
  const own = (p: string) =>
    fromList(
      () => [...(paramValues.get(prefixOf(t.path, p)) ?? [])],
      fromList(() => [...ownIds], fc.uuid()),
    );
  const params = fc.record(
    Object.fromEntries(
      t.params.map((p) => [
        p,
        fc.oneof(
          { weight: 6, arbitrary: own(p) },
          { weight: 2, arbitrary: fromList(() => foreignIds, fc.uuid()) },
          { weight: 2, arbitrary: nastyString },
        ),
      ]),
    ),
  );
  const query = fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(fc.string({ maxLength: 20 }), nastyString, fc.uuid()),
    ),
    { maxLength: 3 },
  );
  return fc.record({ params, query, htmx: fc.boolean() });
}

async function fuzzPage(t: RouteTemplate, who: Role, creds: Credentials) {
  return check(`GET ${t.path} as ${who}`, pageArb(t), Math.max(2, Math.ceil(RUNS / 2)), async (req) => {
    const path = t.path.replace(/:(\w+)/g, (_, p: string) => encodeURIComponent(clean(req.params[p] ?? '')));
    const qs = new URLSearchParams(req.query.map(([k, v]) => [clean(k), clean(v)])).toString();
    const url = qs ? `${path}?${qs}` : path;
    const headers: Record<string, string> = { cookie: creds.cookie, 'x-forwarded-for': '198.51.100.24' };
    if (req.htmx) headers['hx-request'] = 'true';
    const res = await w.ctx.app.request(url, { headers });
    const type = res.headers.get('content-type') ?? '';
    const text = type.includes('event-stream') ? (await res.body?.cancel(), '') : await res.text();
    stats.record(`GET ${t.path}`, who, res.status);
    if (res.status >= 500) return `${res.status} for GET ${show(url, 300)}: ${show(text.replace(/\s+/g, ' '), 200)}`;
    return null;
  });
}

describe(`every page's address (path ids and query), fuzzed (FUZZ_SEED=${SEED})`, () => {
  for (const t of htmlGets.filter((x) => x.params.length || !x.path.includes('.'))) {
    const who: Role = isStaffRoute(t) ? 'staff' : 'owner';
    it(`GET ${t.path} as ${who === 'staff' ? 'a platform admin' : 'the owner'}: no 5xx`, async () => {
      expect(await fuzzPage(t, who, await w.caller(who))).toBeNull();
      expect(rejections).toEqual([]);
    });
  }
});

describe(`every form, fuzzed (FUZZ_SEED=${SEED}, ${RUNS} inputs per caller)`, () => {
  it('found the forms by crawling the pages', () => {
    expect(pagesCrawled).toBeGreaterThan(60);
    expect(forms.size).toBeGreaterThan(60);
    expect(foreignIds.length).toBeGreaterThan(5);
  });

  for (const t of writes.filter((x) => !isStaffRoute(x))) {
    it(`${keyOf(t)} as owner, viewer and a visitor not signed in: no 5xx, refusals as the form again or a page`, async () => {
      const failures: string[] = [];
      for (const who of ['owner', 'viewer', 'visitor'] as const) {
        const failure = await fuzzRoute(t, who, who === 'visitor' ? visitor : await w.caller(who));
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
      expect(rejections).toEqual([]);
    });
  }

  // Last: staff can switch maintenance on, which (rightly) refuses every customer write after it.
  for (const t of writes.filter(isStaffRoute)) {
    it(`${keyOf(t)} as a platform admin and a visitor not signed in: no 5xx, refusals as the form again or a page`, async () => {
      expect(await fuzzRoute(t, 'visitor', visitor)).toBeNull();
      expect(await fuzzRoute(t, 'staff', await w.caller('staff'))).toBeNull();
      expect(rejections).toEqual([]);
    });
  }

  it('leaves the ledger whole: every wallet is the sum of its entries', async () => {
    expect(await checkLedgerInvariants(w.ctx.db)).toEqual([]);
    expect(rejections).toEqual([]);
  });
});
