/**
 * Values shared between requests (what the data cache keeps) are frozen and known by identity,
 * so work derived from them can be reused for as long as a request is given the very same
 * objects: a rendered page (src/web/rendered-pages.ts) is reused while every value it was made
 * from is the same. `identityKey` names such a set of values in a short string:
 *
 * - a shared plain object or array is its identity number: frozen, it cannot have changed;
 * - anything else is spelled out by value (strings, numbers, bigints, dates, a fresh wrapper
 *   around shared values, a Set of permissions), so a value made for one request is compared by
 *   what it holds, never by chance;
 * - a function is its identity: views are given module-level helpers, and a closure made per
 *   request is a new function each time, so it never matches an earlier one;
 * - what cannot be spelled out (a class instance, a Buffer, a cycle) makes the set unnamed:
 *   nothing is reused for it.
 *
 * Dates inside shared values are treated as values that do not change (no code here calls a
 * Date's setters); freezing cannot stop that, so do not.
 */

const ids = new WeakMap<object, number>();
let nextId = 1;

/**
 * Marks `value` as shared between requests: every plain object, array, Set and Map in it is
 * frozen (a change in place throws, in every environment, instead of silently changing what
 * other requests see) and given an identity number when nothing mutable is inside it. Returns
 * `value`.
 */
export function share<T>(value: T): T {
  register(value);
  return value;
}

/** True when `v` (frozen here, with everything in it) may be named by identity. */
function register(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  if (ids.has(v)) return true;
  if (v instanceof Date) return true;
  let immutable = true;
  if (Array.isArray(v)) {
    for (const item of v) immutable = register(item) && immutable;
  } else if (isPlain(v)) {
    for (const k in v) immutable = register((v as Record<string, unknown>)[k]) && immutable;
  } else if (v instanceof Set || v instanceof Map) {
    // Object.freeze leaves a Set's or a Map's entries changeable: its own methods that change
    // them throw instead (a role's permissions, kept with a session).
    for (const item of v) immutable = register(item) && immutable;
    for (const method of ['add', 'set', 'delete', 'clear'])
      if (method in v) Object.defineProperty(v, method, { value: refuseChange });
  } else {
    // A Buffer, a class instance: not frozen by Object.freeze, so it (and what holds it) is
    // spelled out by value every time, or not at all.
    return false;
  }
  Object.freeze(v);
  if (immutable) ids.set(v, nextId++);
  return immutable;
}

function refuseChange(): never {
  throw new TypeError('A shared value cannot be changed (src/lib/shared-values.ts): copy it first');
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

const functionIds = new WeakMap<object, number>();
const MAX_DEPTH = 16;

/**
 * A string naming `value` (see the top of this file): equal strings mean equal values for
 * anything that reads them, whatever request they came from. Undefined when it cannot be named.
 */
export function identityKey(value: unknown): string | undefined {
  out = '';
  const named = put(value, 0);
  const key = out;
  out = '';
  return named ? key : undefined;
}

/** identityKey's output while it runs (it never awaits: one key at a time). */
let out = '';

function put(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
      out += 's' + v.length + ':' + v;
      return true;
    case 'number':
      out += 'n' + v + ';';
      return true;
    case 'bigint':
      out += 'b' + v + ';';
      return true;
    case 'boolean':
      out += v ? 'T' : 'F';
      return true;
    case 'undefined':
      out += 'U';
      return true;
    case 'function': {
      let id = functionIds.get(v);
      if (id === undefined) functionIds.set(v, (id = nextId++));
      out += 'f' + id + ';';
      return true;
    }
    case 'object': {
      if (v === null) {
        out += 'N';
        return true;
      }
      const id = ids.get(v);
      if (id !== undefined) {
        out += '#' + id + ';';
        return true;
      }
      if (depth > MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        out += '[';
        for (let i = 0; i < v.length; i++) if (!put(v[i], depth + 1)) return false;
        out += ']';
        return true;
      }
      if (v instanceof Date) {
        out += 'd' + v.getTime() + ';';
        return true;
      }
      if (v instanceof Set) {
        out += 'S(';
        for (const item of v) if (!put(item, depth + 1)) return false;
        out += ')';
        return true;
      }
      if (v instanceof Map) {
        out += 'M(';
        for (const [k, item] of v) if (!put(k, depth + 1) || !put(item, depth + 1)) return false;
        out += ')';
        return true;
      }
      if (!isPlain(v)) return false;
      out += '{';
      for (const k in v) {
        out += k.length + ':' + k;
        if (!put((v as Record<string, unknown>)[k], depth + 1)) return false;
      }
      out += '}';
      return true;
    }
    default:
      // A symbol: nothing a view prints.
      return false;
  }
}

const derivedValues = new WeakMap<object, { make: unknown; value: unknown }>();

/**
 * `make(source)`, made once and kept with `source` while it is a shared value (frozen, so the
 * same object always holds the same data) and `make` is the same function: an API answer's
 * items presented from kept data are presented once. `make` must depend on `source` alone (a
 * module-level presenter). One value is kept per source; an unshared source is made every time.
 */
export function derived<S, T>(source: S, make: (source: S) => T): T {
  if (typeof source !== 'object' || source === null || !ids.has(source)) return make(source);
  const kept = derivedValues.get(source);
  if (kept && kept.make === make) return kept.value as T;
  const value = share(make(source));
  derivedValues.set(source, { make, value });
  return value;
}
