import type { Context } from 'hono';
import { fail, type Reply } from './http.ts';

/**
 * Collections (spec §2, §3): `X-Filter` then `page`/`page_size` into `{data, page, pages, results}`.
 *
 * Filter semantics: keys are ANDed; a literal matches equal values (for arrays such as `tags`:
 * an element equal to it); dotted keys reach into objects (`entity.id`); operator objects
 * `+contains` (substring; case-insensitive is a guess), `+neq`, `+gt`/`+gte`/`+lt`/`+lte`
 * (numbers, or timestamps as strings), and field-level `+or`/`+and` over values; top-level
 * `+and`/`+or` take arrays of filters and nest. `+order_by` (a filterable field) and `+order`
 * sort. Filtering on a field that is not filterable is a 400 ("Cannot filter on <field>",
 * wording a guess).
 */

export interface Collection {
  /** Fields `X-Filter` may name (dotted for nested ones). */
  filterable: readonly string[];
  /** Order when the filter gives none. Default: `id` ascending. */
  order?: { by: string; desc?: boolean };
}

type Item = Record<string, unknown>;

export function paged(c: Context, items: Item[], spec: Collection): Reply {
  const filter = readFilter(c.req.header('x-filter'));
  let list = filter ? items.filter((i) => matches(i, filter, spec)) : [...items];
  const by = typeof filter?.['+order_by'] === 'string' ? filter['+order_by'] : (spec.order?.by ?? 'id');
  if (filter?.['+order_by'] !== undefined) checkField(filter['+order_by'], spec);
  const orderWord = filter?.['+order'];
  if (orderWord !== undefined && orderWord !== 'asc' && orderWord !== 'desc')
    throw fail(400, 'Must be one of asc, desc', '+order');
  const desc =
    orderWord === undefined ? (filter?.['+order_by'] === undefined ? !!spec.order?.desc : false) : orderWord === 'desc';
  list = list.sort((a, b) => compare(get(a, by), get(b, by)) * (desc ? -1 : 1));

  const pageSize = intParam(c.req.query('page_size'), 100, 'page_size');
  if (pageSize < 25 || pageSize > 500) throw fail(400, 'Must be 25-500', 'page_size');
  const pages = Math.max(1, Math.ceil(list.length / pageSize));
  // Guess (spec §2): a page past the end answers the last page.
  const page = Math.min(intParam(c.req.query('page'), 1, 'page'), pages);
  if (page < 1) throw fail(400, 'Must be a positive integer', 'page');
  return { body: { data: list.slice((page - 1) * pageSize, page * pageSize), page, pages, results: list.length } };
}

function intParam(raw: string | undefined, fallback: number, field: string): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw fail(400, 'Must be an integer', field);
  return Number(raw);
}

function readFilter(header: string | undefined): Item | null {
  if (header === undefined || header.trim() === '') return null;
  try {
    const v: unknown = JSON.parse(header);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Item;
  } catch {
    // falls through
  }
  throw fail(400, 'Invalid JSON in X-Filter header');
}

function checkField(field: unknown, spec: Collection): void {
  if (typeof field !== 'string' || !spec.filterable.includes(field))
    throw fail(400, `Cannot filter on ${String(field)}`, 'X-Filter');
}

function matches(item: Item, filter: Item, spec: Collection): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === '+order_by' || key === '+order') return true;
    if (key === '+and' || key === '+or') {
      if (!Array.isArray(cond)) throw fail(400, `${key} must be an array`, 'X-Filter');
      const check = (f: unknown) => {
        if (!f || typeof f !== 'object' || Array.isArray(f))
          throw fail(400, `${key} must hold filter objects`, 'X-Filter');
        return matches(item, f as Item, spec);
      };
      // Evaluate every branch so a bad field anywhere is reported, not hidden by short-circuiting.
      const results = cond.map(check);
      return key === '+and' ? results.every(Boolean) : results.some(Boolean);
    }
    if (key.startsWith('+')) throw fail(400, `Unknown operator ${key}`, 'X-Filter');
    checkField(key, spec);
    return fieldMatches(get(item, key), cond);
  });
}

function fieldMatches(value: unknown, cond: unknown): boolean {
  if (!cond || typeof cond !== 'object' || Array.isArray(cond)) return equals(value, cond);
  return Object.entries(cond as Item).every(([op, arg]) => {
    switch (op) {
      case '+contains':
        return anyValue(value, (v) => typeof v === 'string' && v.toLowerCase().includes(String(arg).toLowerCase()));
      case '+neq':
        return !equals(value, arg);
      case '+gt':
        return compare(value, arg) > 0 && value !== null && value !== undefined;
      case '+gte':
        return compare(value, arg) >= 0 && value !== null && value !== undefined;
      case '+lt':
        return compare(value, arg) < 0 && value !== null && value !== undefined;
      case '+lte':
        return compare(value, arg) <= 0 && value !== null && value !== undefined;
      case '+or':
      case '+and': {
        if (!Array.isArray(arg)) throw fail(400, `${op} must be an array`, 'X-Filter');
        const results = arg.map((a) => fieldMatches(value, a));
        return op === '+or' ? results.some(Boolean) : results.every(Boolean);
      }
      default:
        throw fail(400, `Unknown operator ${op}`, 'X-Filter');
    }
  });
}

const anyValue = (value: unknown, test: (v: unknown) => boolean) =>
  Array.isArray(value) ? value.some(test) : test(value);

function equals(value: unknown, literal: unknown): boolean {
  const same = (v: unknown) =>
    v === literal || (typeof v === 'number' && typeof literal === 'string' && String(v) === literal);
  return anyValue(value, same);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function get(item: Item, path: string): unknown {
  let v: unknown = item;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Item)[part] : undefined;
  return v;
}
