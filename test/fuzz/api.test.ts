import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import { fuzzBody, fuzzValue, idFor, nastyString, Pool, type Ids, type Schema, type SchemaContext } from './inputs.ts';
import { check, envelopeProblem, RUNS, SEED, show, Stats, watchRejections } from './run.ts';
import { appShape, useFuzzWorld, type Credentials } from './world.ts';

/**
 * Issue 18 item 5, the JSON API: every operation of /api/v1/openapi.json, called with inputs
 * made from its own schemas (valid, mutated field by field, of the wrong shape, raw bytes that
 * are not JSON) and path ids that are the caller's own, another organization's, random or
 * malformed — as Acme's owner, as its viewer and anonymously. Whatever the input: no 5xx, no
 * unhandled rejection, every refusal a 4xx with `{ error: { code, message, fields? } }`, and
 * the ledger still adds up (every wallet = the sum of its entries) after every operation.
 * FUZZ_SEED varies the inputs (a failure prints it), FUZZ_RUNS scales them.
 */

interface Operation {
  method: string;
  /** OpenAPI path, e.g. /vps/{id}/firewalls/{firewall_id}. */
  path: string;
  params: string[];
  query: { name: string; schema: Schema; required: boolean }[];
  body: Schema | undefined;
}

// The document is read before the tests are declared (one test per operation), from an app of its own.
const doc: Schema = (await appShape()).doc;

const operations: Operation[] = Object.entries(doc.paths as Record<string, Record<string, Schema>>).flatMap(
  ([path, ops]) =>
    Object.entries(ops)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        query: ((op.parameters ?? []) as Schema[])
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema ?? {}, required: Boolean(p.required) })),
        body: op.requestBody?.content?.['application/json']?.schema,
      })),
);

const w = useFuzzWorld();
const stats = new Stats('JSON API');
const rejections = watchRejections();

/** Values seen by Acme's callers (own) and Globex's (foreign): by the list they came from, and overall. */
const seen = {
  own: new Map<string, Pool>(),
  foreign: new Map<string, Pool>(),
  ownAll: new Pool(),
  foreignAll: new Pool(),
};
const poolOf = (side: 'own' | 'foreign', key: string) => {
  const map = seen[side];
  if (!map.has(key)) map.set(key, new Pool());
  return map.get(key)!;
};
/** The list a parameter's values come from: the path before it (`/vps/{id}/firewalls` for `{firewall_id}`). */
const listOf = (path: string, param: string) => path.slice(0, path.indexOf(`/{${param}}`));
const collectionOf = (path: string) => path.replace(/\/\{\w+\}$/, '');

/** Ids for a path parameter: from its own list first, then anything seen. */
function idsAt(list: string): Ids {
  return {
    own: (k) => (poolOf('own', list).get(k).length ? poolOf('own', list).get(k) : seen.ownAll.get(k)),
    foreign: (k) => (poolOf('foreign', list).get(k).length ? poolOf('foreign', list).get(k) : seen.foreignAll.get(k)),
  };
}
const sc = (): SchemaContext => ({
  doc,
  ids: { own: (k) => seen.ownAll.get(k), foreign: (k) => seen.foreignAll.get(k) },
});

const segment = (v: string) => {
  try {
    return encodeURIComponent(v);
  } catch {
    return encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  }
};
const fill = (path: string, params: Record<string, string>) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => segment(params[name] ?? ''));

const ips = {
  owner: '198.51.100.11',
  viewer: '198.51.100.12',
  anonymous: '198.51.100.13',
  staff: '198.51.100.14',
} as const;

async function send(
  method: string,
  path: string,
  creds: Credentials | null,
  opts: { ip: string; body?: string; contentType?: string; headers?: Record<string, string> },
) {
  const headers: Record<string, string> = { 'x-forwarded-for': opts.ip, ...opts.headers };
  if (creds) headers.authorization = `Bearer ${creds.bearer}`;
  if (opts.contentType) headers['content-type'] = opts.contentType;
  const res = await w.ctx.app.request(`/api/v1${path}`, { method, headers, body: opts.body });
  const type = res.headers.get('content-type') ?? '';
  const text = type.includes('json') || res.status >= 400 ? await res.text() : (await res.arrayBuffer(), '');
  return { status: res.status, type, text };
}

/** Fills the pools: every GET the API has, as Acme's owner and as Globex's, ids from earlier lists first. */
async function harvest(side: 'own' | 'foreign', creds: Credentials) {
  const gets = operations.filter((o) => o.method === 'GET').sort((a, b) => a.params.length - b.params.length);
  for (const op of gets) {
    const params: Record<string, string> = {};
    for (const p of op.params) {
      const list = listOf(op.path, p);
      const ids = idsAt(list);
      params[p] =
        (side === 'own' ? ids.own : ids.foreign)(p)[0] ?? (side === 'own' ? ids.own : ids.foreign)('id')[0] ?? '';
    }
    const res = await send('GET', fill(op.path, params), creds, { ip: '198.51.100.10' });
    if (res.status !== 200 || !res.type.includes('json')) continue;
    const json = JSON.parse(res.text);
    poolOf(side, op.path).harvest(json);
    (side === 'own' ? seen.ownAll : seen.foreignAll).harvest(json);
  }
}

const RAW = ['{', '', 'null', '[', '{"a":1,}', '\u0000', '"text"', '{"__proto__":{"is_admin":true}}', '1e999', 'true'];
const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/json; charset=utf-16',
  'application/xml',
];

/** One request to `op`: path ids, query, body (as JSON, or raw bytes), content type and organization header. */
function requestArb(op: Operation) {
  const params = fc.record(Object.fromEntries(op.params.map((p) => [p, idFor(p, idsAt(listOf(op.path, p)))])));
  const query = fc.record(
    Object.fromEntries(
      op.query.map((q) => [
        q.name,
        fc
          .oneof({ weight: 8, arbitrary: fuzzValue(q.schema, sc(), q.name) }, { weight: 1, arbitrary: nastyString })
          .map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))),
      ]),
    ),
    { requiredKeys: op.query.filter((q) => q.required).map((q) => q.name) },
  );
  // Most calls name no optional parameter at all, so the rest of the request is what gets judged.
  const someQuery = fc.oneof(
    query,
    query.map((q) =>
      Object.fromEntries(Object.entries(q).filter(([k]) => op.query.find((p) => p.name === k)?.required)),
    ),
  );
  const writes = op.method !== 'GET' && op.method !== 'DELETE';
  const body =
    writes || op.body
      ? fc.oneof(
          { weight: 9, arbitrary: fuzzBody(op.body, sc()).map((b) => ({ json: b })) },
          { weight: 1, arbitrary: fc.constantFrom(...RAW).map((raw) => ({ raw })) },
        )
      : fc.constant(null);
  const contentType = fc.oneof(
    { weight: 12, arbitrary: fc.constant('application/json') },
    { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  );
  const org = fc.oneof(
    { weight: 8, arbitrary: fc.constant<'none' | 'own' | 'foreign' | 'bad'>('none') },
    { weight: 1, arbitrary: fc.constantFrom<'own' | 'foreign' | 'bad'>('own', 'foreign', 'bad') },
  );
  const idempotencyKey = fc.option(fc.oneof(fc.uuid(), nastyString), { freq: 3 });
  return fc.record({ params, query: someQuery, body, contentType, org, idempotencyKey });
}

type Req = fc.Arbitrary<ReturnType<typeof requestArb> extends fc.Arbitrary<infer T> ? T : never>;

async function fuzzOperation(op: Operation, who: keyof typeof ips, creds: Credentials | null) {
  const name = `${op.method} ${op.path} as ${who}`;
  return check(name, requestArb(op) as Req, who === 'anonymous' ? 2 : RUNS, async (req) => {
    const path = fill(op.path, req.params);
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query)) qs.append(k, (v as string).replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
    const url = qs.size ? `${path}?${qs}` : path;
    const headers: Record<string, string> = {};
    if (req.org !== 'none')
      headers['x-organization-id'] = req.org === 'own' ? w.acme.id : req.org === 'foreign' ? w.globex.id : 'not-an-org';
    if (req.idempotencyKey !== null)
      headers['idempotency-key'] = req.idempotencyKey.replace(/[^\x20-\x7e]/g, '?').slice(0, 300) || 'k';
    let body: string | undefined;
    if (req.body) body = 'raw' in req.body ? req.body.raw : JSON.stringify(req.body.json);
    const res = await send(op.method, url, creds, {
      ip: ips[who],
      body,
      contentType: body === undefined ? undefined : req.contentType,
      headers,
    });
    stats.record(`${op.method} ${op.path}`, who, res.status);
    const leaked = who === 'staff' ? undefined : Object.values(req.params).find((v) => foreignOnly.has(v));
    if (leaked) stats.record(`${op.method} ${op.path}`, `${who} naming a foreign id`, res.status);
    const asked = `${op.method} ${url}${body !== undefined ? ` ${show(body, 400)}` : ''}`;
    if (res.status >= 500) return `${res.status} for ${asked}: ${show(res.text, 400)}`;
    if (res.status >= 400) {
      const problem = envelopeProblem(res.status, res.type, res.text);
      return problem ? `${problem} for ${asked}` : null;
    }
    // Another organization's thing, named in the path, is 404 to Acme's callers: never a success.
    if (leaked) return `${res.status} (not 404) for another organization's ${leaked}: ${asked}`;
    if (op.method === 'DELETE' && op.params.length) {
      // Gone: later properties should name what still exists.
      const gone = req.params[op.params.at(-1)!]!;
      for (const pool of [...seen.own.values(), seen.ownAll]) pool.forget(gone);
    }
    if (res.type.includes('json')) {
      let json: unknown;
      try {
        json = JSON.parse(res.text);
      } catch {
        return `${res.status} with JSON that does not parse for ${asked}`;
      }
      if (who !== 'anonymous') {
        poolOf('own', collectionOf(op.path)).harvest(json);
        seen.ownAll.harvest(json);
      }
    }
    return null;
  });
}

/** Ids only Globex's owner was shown (what both were shown, like the catalogue's, is no one's secret). */
const foreignOnly = new Set<string>();

beforeAll(async () => {
  await harvest('own', await w.caller('owner', 'acme'));
  await harvest('foreign', await w.caller('owner', 'globex'));
  for (const id of seen.foreignAll.uuids) if (!seen.ownAll.uuids.has(id)) foreignOnly.add(id);
});

afterEach(async () => {
  await w.replenish('acme');
});

describe(`every JSON API operation, fuzzed (FUZZ_SEED=${SEED}, ${RUNS} inputs per caller)`, () => {
  it('has operations to fuzz, and ids of both organizations to fuzz them with', () => {
    expect(operations.length).toBeGreaterThan(150);
    expect(seen.ownAll.get('id').length).toBeGreaterThan(5);
    expect(seen.foreignAll.get('id').length).toBeGreaterThan(5);
    expect(foreignOnly.size).toBeGreaterThan(5);
  });

  for (const op of operations) {
    it(`${op.method} ${op.path}: no 5xx, refusals as the error envelope`, async () => {
      const failures: string[] = [];
      for (const who of ['owner', 'viewer', 'anonymous'] as const) {
        const creds = who === 'anonymous' ? null : await w.caller(who);
        const failure = await fuzzOperation(op, who, creds);
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
      expect(rejections).toEqual([]);
    });
  }

  // Last: staff can switch maintenance on, which (rightly) refuses every customer write after it.
  for (const op of operations.filter((o) => o.path.startsWith('/admin/'))) {
    it(`${op.method} ${op.path} as a platform admin: no 5xx, refusals as the error envelope`, async () => {
      expect(await fuzzOperation(op, 'staff', await w.caller('staff'))).toBeNull();
      expect(rejections).toEqual([]);
    });
  }

  it('leaves the ledger whole: every wallet is the sum of its entries', async () => {
    expect(await checkLedgerInvariants(w.ctx.db)).toEqual([]);
    expect(rejections).toEqual([]);
  });
});
