import type { Context } from 'hono';

/**
 * Redirect targets taken from a request (`?next=`, a form field, the Referer) are checked here
 * and nowhere else, so there is one answer to "can this send the browser to another site?".
 * String prefixes are not enough: browsers drop tab, CR and LF from URLs and read `\` as `/`,
 * so `/\t/evil.example` is `//evil.example` to them, and `/.//evil.example` becomes
 * `//evil.example` once dot segments are resolved. The value is parsed against a fixed origin
 * the way a browser would parse it, and only the resulting path on that origin is used.
 */
const BASE = 'http://local-path.invalid';
const MAX_LENGTH = 300;
// C0 controls, space, DEL and backslashes, raw or percent-encoded: a browser strips or
// rewrites them, a header cannot carry them, and no path of ours needs them.
const UNSAFE = /[\u0000-\u0020\u007f\\]|%(?:[01][0-9a-f]|7f|5c)/i;

/** A path on this site (path, query and fragment, as a browser would request it) from an untrusted value, else `fallback`. */
export function localPath(value: string | null | undefined): string | null;
export function localPath(value: string | null | undefined, fallback: string): string;
export function localPath(value: string | null | undefined, fallback: string | null = null): string | null {
  if (!value || value.length > MAX_LENGTH || !value.startsWith('/') || UNSAFE.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return fallback;
  }
  const path = url.pathname + url.search + url.hash;
  if (url.origin !== BASE || !path.startsWith('/') || path.startsWith('//')) return fallback;
  return path;
}

/**
 * The page of this site the request came from (its path, without the query), from the
 * Referer, when that names `publicUrl`'s origin; else `fallback`.
 */
export function refererPath(c: Context, publicUrl: string, fallback: string): string {
  const url = refererUrl(c);
  return url && url.origin === new URL(publicUrl).origin ? localPath(url.pathname, fallback) : fallback;
}

/**
 * The page of this site a request came from (path and query), from the Referer when it names
 * the host the request was made to (so it holds behind a proxy that keeps Host), else `fallback`.
 */
export function sameSiteReferer(c: Context, fallback: string): string {
  const url = refererUrl(c);
  return url && url.host === new URL(c.req.url).host ? localPath(url.pathname + url.search, fallback) : fallback;
}

/** Where a browser that is not signed in (any more) is sent: sign-in, then back to the page it came from (else the dashboard). */
export function signInPath(c: Context): string {
  return `/login?next=${encodeURIComponent(sameSiteReferer(c, '/dashboard'))}`;
}

/** The request's Referer as a URL; null when it has none or it is not a URL. */
function refererUrl(c: Context): URL | null {
  const ref = c.req.header('referer');
  if (!ref) return null;
  try {
    return new URL(ref);
  } catch {
    return null;
  }
}
