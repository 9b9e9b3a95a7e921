import fc from 'fast-check';

/**
 * Inputs for the fuzz: values a JSON schema (the OpenAPI document's) allows, values it does not
 * (wrong types, nulls, huge, unicode and control strings, extreme numbers, arrays for objects,
 * missing and unknown fields), and ids: the caller's own (so a request reaches the code behind
 * the lookup), another organization's (must be 404) and malformed ones.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = any;

/** Values seen in the app's own answers: ids and other strings by the key they were under. */
export class Pool {
  private byKey = new Map<string, string[]>();
  /** Every uuid seen, however many. */
  readonly uuids = new Set<string>();
  add(key: string, value: string) {
    const list = this.byKey.get(key) ?? [];
    if (!list.includes(value) && list.length < 40) list.push(value);
    this.byKey.set(key, list);
  }
  /** Forgets `value` (a thing the fuzz deleted), under every key. */
  forget(value: string) {
    for (const list of this.byKey.values()) {
      const i = list.indexOf(value);
      if (i >= 0) list.splice(i, 1);
    }
  }
  get(key: string): string[] {
    return this.byKey.get(key) ?? [];
  }
  keys() {
    return [...this.byKey.keys()];
  }
  /**
   * Every string and number under every key of a JSON answer (recursively). An `id` is kept as
   * `id` for the answer itself and the items of its list, and as `<parent>_id` deeper in (the
   * `plan` of a server gives `plan_id`), so a parameter gets ids of what its list lists.
   */
  harvest(json: unknown, depth = 0, parent: string | null = null) {
    if (depth > 6 || json === null || typeof json !== 'object') return;
    if (Array.isArray(json)) {
      for (const item of json.slice(0, 20)) this.harvest(item, depth + 1, parent);
      return;
    }
    for (const [k, v] of Object.entries(json)) {
      const key = k === 'id' && parent ? `${parent.replace(/s$/, '')}_id` : k;
      if (typeof v === 'string' && v.length <= 200) {
        this.add(key, v);
        if (UUID.test(v)) {
          this.add('*uuid', v);
          this.uuids.add(v);
        }
      } else if (typeof v === 'number') this.add(key, String(v));
      else this.harvest(v, depth + 1, ['items', 'data', 'results'].includes(k) && depth === 0 ? null : k);
    }
  }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A value picked by index from a list that may still grow: the index is what the seed decides. */
export const fromList = (list: () => string[], fallback: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(fc.nat(1_000), fallback).map(([i, f]) => {
    const l = list();
    return l.length ? l[i % l.length]! : f;
  });

const HUGE = 'x'.repeat(70_000);
/** Strings that have broken parsers, databases and templates before. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\r\n\r\n',
    '\t',
    '\uD800',
    '\uFFFF',
    '💥'.repeat(300),
    'ﷺ'.repeat(40),
    '\u202Egnp.exe',
    '../../../../etc/passwd',
    "'; drop table users; --",
    '" OR 1=1 --',
    '<script>alert(1)</script>',
    '{{7*7}}<%= 7*7 %>${7*7}',
    '%00',
    '%',
    '%%',
    '\\',
    'null',
    'undefined',
    'NaN',
    'Infinity',
    '-1',
    '0',
    '1e999',
    '99999999999999999999999999',
    '-0.000001',
    '0x10',
    'true',
    '[]',
    '{}',
    '2026-02-30T25:61:61Z',
    '0000-00-00',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'http://127.0.0.1/',
    'https://169.254.169.254/latest/meta-data/',
    'javascript:alert(1)',
    'a@b',
    '@',
    HUGE,
    'é'.repeat(5_000),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 300 }),
);

/** Numbers JSON can carry that a schema's range may not expect. */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    1,
    -0.5,
    0.1,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53 + 2,
    -(2 ** 53) - 2,
    1e21,
    1e308,
    -1e308,
    5e-324,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, small. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  nastyNumber,
  nastyString,
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), { maxKeys: 3 }),
);

export interface Ids {
  /** Values of the caller's own things seen under `key` (e.g. `id`, `plan_id`, `address`). */
  own(key: string): string[];
  /** The same seen by another organization. */
  foreign(key: string): string[];
}

/** The keys a value for a field or parameter `name` may have been seen under, best first. */
export function keysFor(name: string): string[] {
  const singular = name.replace(/_ids$/, '_id').replace(/Ids$/, 'Id');
  const base = singular.replace(/_?id$/i, '');
  const snake = base.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return [...new Set([name, singular, base, snake, `${snake}_id`, 'id', '*uuid'])].filter(Boolean);
}

/** An id-like value for a field or parameter named `name`: own (mostly), foreign, random or malformed. */
export function idFor(name: string, ids: Ids): fc.Arbitrary<string> {
  const keys = keysFor(name);
  const first = (get: (k: string) => string[]) => () => {
    for (const k of keys) {
      const l = get(k);
      if (l.length) return l;
    }
    return [];
  };
  const own = first((k) => ids.own(k));
  const foreign = first((k) => ids.foreign(k));
  return fc.oneof(
    { weight: 10, arbitrary: fromList(own, fc.uuid()) },
    { weight: 2, arbitrary: fromList(foreign, fc.uuid()) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: nastyString },
  );
}

export interface SchemaContext {
  doc: Schema;
  ids: Ids;
}

function resolve(schema: Schema, sc: SchemaContext): Schema {
  let s = schema;
  for (let i = 0; s && s.$ref && i < 10; i++) s = sc.doc.components.schemas[s.$ref.split('/').pop()];
  return s ?? {};
}

/** Mostly what `schema` allows, with an occasional value it does not, at every level. */
export function fuzzValue(schema: Schema, sc: SchemaContext, name = '', depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 6, arbitrary: validValue(schema, sc, name, depth) }, { weight: 1, arbitrary: anyJson });
}

/** A value `schema` allows (as far as the document says), preferring values the app itself showed. */
export function validValue(schema: Schema, sc: SchemaContext, name = '', depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, sc);
  if (depth > 5) return fc.constant(null);
  if (s.anyOf || s.oneOf)
    return fc.oneof(...(s.anyOf ?? s.oneOf).map((x: Schema) => validValue(x, sc, name, depth + 1)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (type.length > 1) return fc.oneof(...type.map((t: string) => validValue({ ...s, type: t }, sc, name, depth)));
  const seen = (k: string) => sc.ids.own(k);
  switch (type[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
      return fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) });
    }
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case 'array':
      return fc.array(fuzzValue(s.items ?? {}, sc, name, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    case 'object': {
      const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
      if (props.length === 0)
        return fc.dictionary(
          fc.oneof(
            fromList(() => sc.ids.own('*keys'), fc.string({ maxLength: 10 })),
            fc.string({ maxLength: 10 }),
          ),
          fuzzValue(
            s.additionalProperties && s.additionalProperties !== true ? s.additionalProperties : {},
            sc,
            '',
            depth + 1,
          ),
          { maxKeys: 3 },
        );
      return fc.record(Object.fromEntries(props.map(([k, v]) => [k, fuzzValue(v, sc, k, depth + 1)])), {
        requiredKeys: (s.required ?? []).filter((k: string) => props.some(([p]) => p === k)),
      });
    }
    case 'string':
    default: {
      if (s.format === 'uuid' || /(^|_)id$/.test(name)) return idFor(name, sc.ids);
      const options: fc.Arbitrary<string>[] = [];
      if (s.format === 'date-time') options.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
      if (s.format === 'date') options.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)));
      if (s.format === 'email' || /email/.test(name))
        options.push(fc.emailAddress(), fc.constantFrom('fuzz@example.test', 'owner@example.test'));
      if (s.pattern) {
        try {
          options.push(fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length < 300));
        } catch {
          /* a pattern fast-check cannot generate from: the other options stand */
        }
      }
      if (s.example !== undefined && typeof s.example === 'string') options.push(fc.constant(s.example));
      if (seen(name).length) options.push(fromList(() => seen(name), fc.string()));
      options.push(
        fc.string({
          minLength: Math.min(s.minLength ?? 0, 200),
          maxLength: Math.min(s.maxLength ?? 40, 200),
        }),
      );
      return fc.oneof(...options);
    }
  }
}

/** `value` with a NUL character added to every string in it (keys too). */
export function withNul(value: unknown): unknown {
  if (typeof value === 'string') return `${value}\u0000`;
  if (Array.isArray(value)) return value.map(withNul);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withNul(v)]));
  return value;
}

/**
 * A request body for `schema`: as allowed (sometimes), mutated field by field (mostly), or
 * something else entirely (an array, a string, a number, null, an object missing every field).
 */
export function fuzzBody(schema: Schema | undefined, sc: SchemaContext): fc.Arbitrary<unknown> {
  const s = schema ? resolve(schema, sc) : {};
  const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
  const options: fc.WeightedArbitrary<unknown>[] = [
    { weight: 3, arbitrary: validValue(s, sc) },
    { weight: 4, arbitrary: fuzzValue(s, sc) },
    { weight: 1, arbitrary: anyJson },
  ];
  // A body the schema allows, with a NUL in every string (PostgreSQL text cannot hold one).
  options.push({ weight: 2, arbitrary: validValue(s, sc).map(withNul) });
  if (props.length) {
    // Every field optional, plus unknown fields (mass assignment), each value possibly of the wrong kind.
    options.push({
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.record(
            Object.fromEntries(props.map(([k, v]) => [k, fc.oneof(fuzzValue(v, sc, k), anyJson, fc.constant(null))])),
            { requiredKeys: [] },
          ),
          fc.dictionary(
            fc.constantFrom(
              'id',
              'organization_id',
              'is_admin',
              'role',
              'balance',
              'status',
              '__proto__',
              'constructor',
              'extra',
            ),
            anyJson,
            { maxKeys: 3 },
          ),
        )
        .map(([a, b]) => ({ ...b, ...a })),
    });
    options.push({ weight: 1, arbitrary: fc.array(validValue(s, sc), { maxLength: 2 }) });
  }
  return fc.oneof(...options);
}
