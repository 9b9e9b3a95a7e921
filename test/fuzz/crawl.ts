/**
 * What the pages offer: a crawl of the app's HTML pages as a signed-in caller, collecting every
 * form (and htmx write) with its action, method, field names and the values the page put in
 * them, and every concrete URL a link or form names (so a route's path parameters get values
 * that exist). Regular expressions, not a DOM: the pages are our own templates.
 */

export interface FormSeen {
  method: string;
  /** The concrete URL (path only). */
  url: string;
  /** Field name → values the page offered (hidden values, options, checkbox values, defaults). */
  fields: Map<string, Set<string>>;
}

export interface RouteTemplate {
  method: string;
  path: string;
  regex: RegExp;
  params: string[];
}

export function templateOf(method: string, path: string): RouteTemplate {
  const params: string[] = [];
  const source = path
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        params.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { method, path, regex: new RegExp(`^${source}/?$`), params };
}

/** The route a concrete path is served by: the matching template with the fewest parameters. */
export function match(templates: RouteTemplate[], method: string, url: string) {
  let best: { t: RouteTemplate; values: string[] } | null = null;
  for (const t of templates) {
    if (t.method !== method) continue;
    const m = t.regex.exec(url);
    if (m && (!best || t.params.length < best.t.params.length)) best = { t, values: m.slice(1) };
  }
  return best;
}

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>', nbsp: '\u00a0' };
export const decode = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
      : (ENTITIES[e.toLowerCase()] ?? all),
  );

const attr = (attrs: string, name: string) => {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(` ${attrs}`);
  return m ? decode(m[2] ?? m[3] ?? '') : undefined;
};

const pathOf = (url: string, base: string) => {
  try {
    const u = new URL(url, `http://localhost${base}`);
    return u.host === 'localhost' ? decodeURIComponent(u.pathname) : null;
  } catch {
    return null;
  }
};

function fieldsIn(html: string): Map<string, Set<string>> {
  const fields = new Map<string, Set<string>>();
  const add = (name: string, value: string | undefined) => {
    if (!fields.has(name)) fields.set(name, new Set());
    if (value !== undefined && value.length < 500) fields.get(name)!.add(value);
  };
  for (const m of html.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
    const name = attr(m[1]!, 'name');
    if (!name) continue;
    add(name, undefined);
    for (const o of m[2]!.matchAll(/<option\b([^>]*)>/gi)) add(name, attr(o[1]!, 'value'));
  }
  for (const m of html.matchAll(/<(input|textarea|button)\b([^>]*)>/gi)) {
    const name = attr(m[2]!, 'name');
    if (!name) continue;
    add(name, attr(m[2]!, 'value'));
  }
  for (const m of html.matchAll(/hx-vals\s*=\s*'([^']*)'/gi)) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(decode(m[1]!)) as Record<string, unknown>)) add(k, String(v));
    } catch {
      /* js: values — not ours to evaluate */
    }
  }
  return fields;
}

/** Every form and htmx write on a page (`base`: the page's own path, a form's default action). */
export function formsOn(html: string, base: string): FormSeen[] {
  const found: FormSeen[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = m[1]!;
    let method = (attr(attrs, 'method') ?? 'get').toUpperCase();
    let action = attr(attrs, 'action') ?? base;
    for (const verb of ['post', 'put', 'patch', 'delete']) {
      const hx = attr(attrs, `hx-${verb}`);
      if (hx !== undefined) {
        method = verb.toUpperCase();
        action = hx || base;
      }
    }
    const url = pathOf(action, base);
    if (url && method !== 'GET') found.push({ method, url, fields: fieldsIn(m[2]!) });
  }
  // htmx writes outside forms (a button that deletes, say), with their hx-vals.
  const outside = html.replace(/<form\b[\s\S]*?<\/form>/gi, '');
  for (const m of outside.matchAll(/<\w+\b([^>]*\bhx-(post|put|patch|delete)\s*=[^>]*)>/gi)) {
    const url = pathOf(attr(m[1]!, `hx-${m[2]!.toLowerCase()}`) ?? '', base);
    if (url) found.push({ method: m[2]!.toUpperCase(), url, fields: fieldsIn(m[0]) });
  }
  return found;
}

/** Links a page names (href, hx-get), as paths. */
export function linksOn(html: string, base: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(/\s(?:href|hx-get)\s*=\s*"([^"]*)"/gi)) {
    const p = pathOf(decode(m[1]!), base);
    if (p && !p.startsWith('/static') && !p.startsWith('/assets')) out.add(p);
  }
  return [...out];
}
