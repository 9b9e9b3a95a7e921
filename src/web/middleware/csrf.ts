import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../../config.ts';
import { randomToken, safeEqual, secureRandomBytes } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';

const ANON_COOKIE = 'sp_csrf';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for the cookie-authenticated HTML app. Every unsafe request must (1) come
 * from this site (`Sec-Fetch-Site` / `Origin`), and (2) carry the token in `X-CSRF-Token`
 * (htmx sends it) or a `_csrf` form field — whatever its Content-Type, including none. The
 * token is the session's; before sign-in it is a random cookie (double submit), which also
 * stops login CSRF. Run after `sessionLoader`.
 *
 * Pages never print the token itself: each response prints it masked with a fresh random pad
 * (`maskToken`), so with compression on, no byte of the secret repeats from one response to the
 * next for an attacker who reflects text into a page to guess it from sizes (BREACH). A sent
 * token is accepted masked or as it is.
 *
 * @example app.use(csrf({ config }))
 */
export function csrf(opts: { config: Config }): MiddlewareHandler {
  return async function csrfMiddleware(c, next) {
    const session = c.get('auth') ?? c.get('pendingMfa');
    let expected = session?.csrfToken ?? getCookie(c, ANON_COOKIE) ?? '';
    if (!session && !expected) {
      expected = randomToken(24);
      setCookie(c, ANON_COOKIE, expected, {
        path: '/',
        httpOnly: true,
        secure: opts.config.isProduction,
        sameSite: 'Lax',
      });
    }
    c.set('csrfToken', expected ? maskToken(expected) : expected);
    if (SAFE.has(c.req.method)) return next();
    if (!sameSite(c, opts.config)) return refuse(c, 'Cross-site request refused.');
    const sent = c.req.header('x-csrf-token') ?? (await formToken(c));
    if (!sent || !expected || !(safeEqual(sent, expected) || safeEqual(unmask(sent) ?? '', expected)))
      return refuse(c, 'Your form expired. Reload the page and try again.');
    return next();
  };
}

function sameSite(c: Context, config: Config): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site) return site === 'same-origin' || site === 'none';
  const origin = c.req.header('origin');
  if (origin === undefined) return true; // Old browsers and non-browser clients: the token check decides.
  if (origin === config.publicUrl) return true;
  // `null` (sandboxed frames, data: URLs, some redirects) and anything unparseable name no site: cross-site.
  const host = c.req.header('host');
  return host !== undefined && hostOf(origin) === host;
}

function hostOf(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : null;
  } catch {
    return null;
  }
}

async function formToken(c: Context): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return undefined;
  try {
    const body = await c.req.parseBody();
    return typeof body._csrf === 'string' ? body._csrf : undefined;
  } catch {
    return undefined;
  }
}

/**
 * 403 as a page of the site (the app's error handler draws it, with a way back to the page the
 * form was on). An htmx request is told to reload its page instead of sitting still: the page
 * comes back with a fresh token, or asks to sign in when the session behind the form has ended.
 */
function refuse(c: Context, message: string): never {
  if (c.req.header('hx-request')) c.header('HX-Refresh', 'true');
  throw new AppError('csrf_failed', 403, message);
}

/** `token` as a page prints it: a random pad and the token XOR the pad, base64url; a new pad every time. */
export function maskToken(token: string): string {
  const raw = Buffer.from(token, 'utf8');
  const pad = secureRandomBytes(raw.length);
  const out = Buffer.alloc(raw.length * 2);
  pad.copy(out);
  for (let i = 0; i < raw.length; i++) out[raw.length + i] = raw[i]! ^ pad[i]!;
  return out.toString('base64url');
}

/** The token a masked value stands for, or null when it cannot be one. */
function unmask(sent: string): string | null {
  if (sent.length > 512) return null;
  const buf = Buffer.from(sent, 'base64url');
  if (buf.length === 0 || buf.length % 2 !== 0) return null;
  const n = buf.length / 2;
  const raw = Buffer.alloc(n);
  for (let i = 0; i < n; i++) raw[i] = buf[i]! ^ buf[n + i]!;
  return raw.toString('utf8');
}
