import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { brandColourCss } from '../../domain/settings/site.ts';
import { ROOT_DIR } from '../assets.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** This request may get a response shared caches store (set by publicCache before the page renders). */
    publicCache: boolean;
    /** The page printed the CSRF token (a form, the layouts' htmx header): it is per visitor, never stored by shared caches. */
    csrfTokenShown: boolean;
  }
}

/**
 * The anonymous public pages a CDN may keep (issue 16 item 3): exact paths, or patterns for a
 * family (a blog post, a docs article). Pages with a form (sign-in, registration, contact) are
 * not here: they carry a CSRF token. Other helpers' pages are listed by path only: whatever they
 * print per visitor still makes their response private (see below).
 */
export const PUBLIC_CACHE_PATHS: readonly (string | RegExp)[] = [
  '/',
  '/pricing',
  '/regions',
  '/robots.txt',
  '/sitemap.xml',
  '/about',
  '/terms',
  '/privacy',
  /^\/pages\/[\w-]+$/,
  '/faq',
  '/docs',
  /^\/docs\/[\w-]+(?:\/[\w-]+)?$/,
  '/blog',
  /^\/blog\/[\w-]+(?:\/[\w-]+)?$/,
  '/status',
];

/**
 * Cookies that change what a page shows: the session (signed in, or owing a second factor), a
 * one-time flash message, a guest's dismissed announcements. A request carrying one gets a
 * private answer. (The anonymous CSRF cookie changes nothing a cacheable page prints.)
 */
export const VISITOR_COOKIES = ['sp_flash', 'sp_dismissed'] as const;
const ANON_CSRF_COOKIE = 'sp_csrf';

/** The one inline script every page has (views/shared/_theme_init.eta: dark mode before first paint), as the CSP hashes it. */
const THEME_INIT = (() => {
  const file = readFileSync(path.join(ROOT_DIR, 'views/shared/_theme_init.eta'), 'utf8');
  // The opening tag holds Eta tags (`<%= it.ctx.theme %>`), whose `%>` is no end of the tag.
  const text = /<script\b(?:<%[\s\S]*?%>|[^>])*>([\s\S]*?)<\/script>/.exec(file)?.[1];
  if (!text) throw new Error('views/shared/_theme_init.eta: no inline script found');
  return text;
})();

/** A CSP hash source for an inline element's text. */
export const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The policy of a stored page: the strict one (middleware/security-headers.ts) with the
 * request's nonce replaced by the hashes of the only inline elements a page may have — the
 * theme script (constant text) and the brand colour's <style> (derived from the brand colour
 * alone). A stored page replays its headers to every visitor, so a nonce there would be a value
 * everyone can read; hashes allow exactly that text and nothing an attacker could add.
 */
export function cacheablePolicy(brandCss: string): string {
  const styles = brandCss ? ` ${cspHash(brandCss)}` : '';
  return [
    "default-src 'self'",
    `script-src 'self' ${cspHash(THEME_INIT)}`,
    `style-src 'self'${styles}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const listed = (paths: readonly (string | RegExp)[], p: string) =>
  paths.some((x) => (typeof x === 'string' ? x === p : x.test(p)));

/** Appends names to a Vary header value, once each. */
function vary(headers: Headers, ...names: string[]): void {
  const current = (headers.get('Vary') ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const lower = new Set(current.map((v) => v.toLowerCase()));
  for (const n of names) if (!lower.has(n.toLowerCase())) current.push(n);
  headers.set('Vary', current.join(', '));
}

/** Whether an If-None-Match header names `etag` (weak comparison: a compressed copy's W/ tag matches). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v.replace(/^W\//, '') === bare;
  });
}

/**
 * Lets CDNs and browsers keep the anonymous public pages (issue 16 item 3) without anything
 * per visitor in them:
 *
 * - Only GET/HEAD of a listed path, from a request with no session (nor one owing a second
 *   factor), none of VISITOR_COOKIES and no htmx headers, is a candidate. It is rendered with
 *   `it.ctx.publicCache`: no nonce (the layouts print none; the CSP allows the theme script
 *   and brand colour by hash) and no CSRF token in the layout.
 * - The answer is stored-able (`Cache-Control: public, max-age=…`, a strong ETag of the body,
 *   `Vary: Cookie` for HTML since a cookie-bearing request may see another page) only when it
 *   is a 200 the route left without Cache-Control, the page printed no CSRF token (a form, a
 *   dismissable announcement) and it sets no cookie but the anonymous CSRF cookie, which is
 *   dropped: the page has no form it would serve (the first page with a form sets it).
 * - `If-None-Match` naming the ETag gets 304 (compression turns the tag weak; weak comparison).
 * - Every other answer on a listed path is `private, no-store`, and so is every HTML answer of
 *   the app that did not say otherwise (sign-in, forms, error pages): none may sit in a shared
 *   cache.
 *
 * Mount in the HTML app after the session, CSRF and announcements middleware.
 *
 * @example html.use(publicCache({ sessionCookie: config.cookieName }))
 */
export function publicCache(opts: {
  sessionCookie: string;
  paths?: readonly (string | RegExp)[];
  maxAgeSeconds?: number;
}): MiddlewareHandler {
  const paths = opts.paths ?? PUBLIC_CACHE_PATHS;
  const cacheControl = `public, max-age=${opts.maxAgeSeconds ?? 60}`;
  const cookies = [opts.sessionCookie, ...VISITOR_COOKIES];
  return async function publicCacheMiddleware(c, next) {
    const method = c.req.method;
    const candidate =
      (method === 'GET' || method === 'HEAD') &&
      listed(paths, c.req.path) &&
      !c.get('auth') &&
      !c.get('pendingMfa') &&
      !c.req.header('hx-request') &&
      !cookies.some((name) => getCookie(c, name) !== undefined);
    if (!candidate) {
      await next();
      privateUnlessSaid(c);
      return;
    }
    c.set('publicCache', true);
    await next();
    const res = c.res;
    const html = /^text\/html/i.test(res.headers.get('Content-Type') ?? '');
    // Rendered without a nonce, whatever happens next: its inline bits are allowed by hash.
    if (html && !res.headers.has('Content-Security-Policy'))
      res.headers.set(
        'Content-Security-Policy',
        cacheablePolicy(brandColourCss(c.get('branding')?.brandColour ?? null)),
      );
    const setCookies = res.headers.getSetCookie();
    const othersCookies = setCookies.some((s) => !s.startsWith(`${ANON_CSRF_COOKIE}=`));
    if (res.status !== 200 || res.headers.has('Cache-Control') || c.get('csrfTokenShown') || othersCookies) {
      privateUnlessSaid(c, true);
      return;
    }
    res.headers.delete('Set-Cookie');
    const body = new Uint8Array(await res.clone().arrayBuffer());
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    res.headers.set('ETag', etag);
    res.headers.set('Cache-Control', cacheControl);
    if (html) vary(res.headers, 'Cookie');
    if (etagMatches(c.req.header('if-none-match'), etag)) {
      res.headers.delete('Content-Length');
      c.res = new Response(null, { status: 304, headers: res.headers });
    }
  };
}

/** `private, no-store` on an HTML answer that set no Cache-Control (`always`: on any answer of a listed path). */
function privateUnlessSaid(c: Context, always = false): void {
  const h = c.res.headers;
  if (h.has('Cache-Control')) return;
  if (always || /^text\/html/i.test(h.get('Content-Type') ?? '')) h.set('Cache-Control', 'private, no-store');
}
