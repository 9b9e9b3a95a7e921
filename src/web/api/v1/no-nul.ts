import type { MiddlewareHandler } from 'hono';
import { errorEnvelope } from '../../errors.ts';

/** The JSON paths (`name`, `rules.inbound.0.label`) of strings and keys in `value` holding a NUL. */
function nulPaths(value: unknown, path: string, out: string[]): string[] {
  if (out.length >= 10) return out;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push(path || '(body)');
  } else if (Array.isArray(value)) value.forEach((v, i) => nulPaths(v, path ? `${path}.${i}` : String(i), out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (k.includes('\u0000')) out.push(p);
      nulPaths(v, p, out);
    }
  return out;
}

const MESSAGE = 'Text cannot contain a NUL character (\\u0000).';

/**
 * Refuses (422 `validation_failed`, a message per field) a query parameter or a JSON body
 * string holding a NUL character (a path with one: 404): PostgreSQL text cannot store one, and no person types one,
 * so it is refused before any handler runs rather than failing in the database as a 500
 * (found by test/fuzz). The body is read once and kept by Hono for the validators after this.
 */
export function refuseNul(): MiddlewareHandler {
  return async function refuseNulMiddleware(c, next) {
    const fields: Record<string, string> = {};
    // A NUL reaches the address only percent-encoded: most requests are done with one look.
    if (c.req.url.includes('%00')) {
      // A path with a NUL in it names nothing: 404, as any other id that does not exist.
      if (new URL(c.req.url).pathname.includes('%00'))
        return c.json(errorEnvelope('not_found', 'No such resource.'), 404);
      for (const [k, values] of Object.entries(c.req.queries()))
        if (k.includes('\u0000') || values.some((v) => v.includes('\u0000'))) fields[k] = MESSAGE;
    }
    const type = c.req.header('content-type') ?? '';
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && type.startsWith('application/json')) {
      const text = await c.req.text();
      if (text.includes('\\u0000') || text.includes('\u0000')) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined; // not JSON: the validators say so (400 invalid_json)
        }
        for (const p of nulPaths(body, '', [])) fields[p] = MESSAGE;
      }
    }
    if (Object.keys(fields).length)
      return c.json(errorEnvelope('validation_failed', 'Please correct the highlighted fields.', fields), 422);
    await next();
  };
}
