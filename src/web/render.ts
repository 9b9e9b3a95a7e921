import path from 'node:path';
import { Eta } from 'eta';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../config.ts';
import { can } from '../domain/access/actor.ts';
import { DEFAULT_THEME } from '../domain/settings/themes.ts';
import { brandColourCss, defaultBranding } from '../domain/settings/site.ts';
import type { Permission } from '../domain/access/permissions.ts';
import { domId } from '../lib/ids.ts';
import { formatMoney } from '../lib/money.ts';
import { identityKey } from '../lib/shared-values.ts';
import { ROOT_DIR, type Manifest } from './assets.ts';
import { NAVIGATION, navigationFor } from './navigation.ts';
import { fill, fillable, PLACEHOLDERS, type RenderedPages } from './rendered-pages.ts';

/** A page's frame (views/layouts/<name>.eta); 'console' is the full-screen console, 'bare' none. */
export type Layout = 'public' | 'portal' | 'admin' | 'console' | 'bare';

export interface RenderOptions {
  layout?: Layout;
  status?: 200 | 201 | 403 | 404 | 409 | 422 | 429 | 500 | 503;
  title?: string;
  /** Public pages: the meta description (and Open Graph description). */
  description?: string;
  /** Public pages: the Open Graph image, absolute or site-relative. */
  image?: string;
  /** The page's swappable region: an htmx request whose HX-Target is `region.id` gets `region.partial` only. */
  region?: { id: string; partial: string };
}

const FLASH_COOKIE = 'sp_flash';

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** One formatter per time zone, kept: building one costs far more than formatting with it. */
function dateTimeFormat(timeZone: string): Intl.DateTimeFormat {
  let f = dateTimeFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone });
    dateTimeFormats.set(timeZone, f);
  }
  return f;
}

const helpersByZone = new Map<string, ReturnType<typeof makeViewHelpers>>();

/** Helpers every view may call (`it.h`), one set per time zone. Views get data, never query. */
export function viewHelpers(timezone: string) {
  let h = helpersByZone.get(timezone);
  if (!h) helpersByZone.set(timezone, (h = makeViewHelpers(timezone)));
  return h;
}

function makeViewHelpers(timezone: string) {
  return {
    money: (micros: bigint, currency = 'USD') => formatMoney(micros, currency),
    /** An hourly rate: 4 decimals (BILLING.md), "$0.0205". */
    rate: (micros: bigint, currency = 'USD') => formatMoney(micros, currency, 4),
    domId,
    datetime: (d: Date | string | null) => {
      if (!d) return '';
      return dateTimeFormat(timezone).format(typeof d === 'string' ? new Date(d) : d);
    },
    iso: (d: Date | string) => (typeof d === 'string' ? new Date(d) : d).toISOString(),
    device: describeUserAgent,
  };
}

export type Renderer = ReturnType<typeof createRenderer>;

type EtaRender = Eta['render'];
type TemplateFn = (this: Eta, data: object, options: object) => string;

/**
 * Eta over `dir` with what a page view repeats made once (profiles: a page includes some twenty
 * partials, and Eta's per-include work was about a tenth of its CPU):
 *
 * - a named template's compiled function and its options are kept per (including file, name),
 *   so an include is a map lookup and a call — no path resolution, option copies or cache
 *   lookups by file name on every include;
 * - `include(name, it)`, the views' usual call, hands the partial the same data instead of a
 *   copy of every key (Eta spreads the caller's data and the given data into a new object; with
 *   both being `it` that copy is all the include gets). Views treat `it` as read-only: a partial
 *   given other data still gets a fresh merged object.
 */
export function fastEta(dir: string): Eta {
  const eta = new Eta({
    views: dir,
    cache: true,
    autoEscape: true,
    autoTrim: false,
    plugins: [
      { processAST: compactTemplateText },
      {
        processFnString: (fn: string) => {
          const spread = 'this.render(__eta_t, {...it, ...(__eta_d ?? {})}, options)';
          if (!fn.includes(spread)) throw new Error('Eta changed how include() is compiled: review fastEta');
          return fn.replace(
            spread,
            'this.render(__eta_t, __eta_d === undefined || __eta_d === it ? it : {...it, ...__eta_d}, options)',
          );
        },
      },
    ],
  });
  const base = eta.render;
  const render = (...args: Parameters<EtaRender>) => base.apply(eta, args);
  const known = new Map<string, Map<string, { fn: TemplateFn; options: object }>>();
  eta.render = function fastRender(template, data, meta) {
    if (typeof template !== 'string' || template.startsWith('@')) return render(template, data, meta);
    const parent = (meta as { filepath?: string } | undefined)?.filepath ?? '';
    let byName = known.get(parent);
    if (!byName) known.set(parent, (byName = new Map()));
    const hit = byName.get(template);
    if (hit) return hit.fn.call(eta, data, hit.options);
    // First use of this (file, name): Eta resolves, reads and compiles it (and keeps it).
    const out = render(template, data, meta);
    const options = { ...meta, async: false, filepath: eta.resolvePath(template, { ...meta }) };
    const fn = eta.templatesSync.get(options.filepath) as TemplateFn | undefined;
    if (fn) byName.set(template, { fn, options });
    return out;
  } as EtaRender;
  return eta;
}

/** Elements whose text is shown as written (or is code): their template text is left as it is. */
const VERBATIM = /<(\/?)(pre|textarea|script|style)\b/gi;
/** In Eta's parsed text a newline is `\n` and a backslash `\\`: a line break with the indentation after it, or an escaped backslash. */
const INDENTED_LINES = /\\\\|(?:\\n[ \t]*)+/g;

/**
 * Eta plugin: the views' own text loses the indentation and blank lines between its lines
 * (each run of line breaks and the spaces after them becomes one line break), so a page is
 * sent without the 10–15% of its bytes that were template indentation. Line breaks stay, so
 * what the browser shows does not change: outside <pre> and <textarea> (whose text is left
 * alone, like <script> and <style>), a run of white space shows as one space either way.
 * Only the templates' text is changed, never what they print.
 */
export function compactTemplateText<T>(ast: Array<string | T>): Array<string | T> {
  let verbatim: string | null = null;
  const compact = (text: string) => text.replace(INDENTED_LINES, (m) => (m.startsWith('\\\\') ? m : '\\n'));
  return ast.map((part) => {
    if (typeof part !== 'string') return part;
    let out = '';
    let from = 0;
    for (const m of part.matchAll(VERBATIM)) {
      const closing = m[1] === '/';
      const name = m[2]!.toLowerCase();
      const before = part.slice(from, m.index);
      out += verbatim ? before : compact(before);
      out += m[0];
      from = m.index + m[0].length;
      if (!verbatim && !closing) verbatim = name;
      else if (verbatim === name && closing) verbatim = null;
    }
    const rest = part.slice(from);
    return out + (verbatim ? rest : compact(rest));
  });
}

/** A targeted htmx request for the page's swappable region: only the region is rendered. */
function regionOnly(c: Context, opts: RenderOptions): boolean {
  return opts.region !== undefined && c.req.header('hx-target') === opts.region.id;
}

/**
 * Eta over `views/`, layouts in `views/layouts`, with request context in `it.ctx`. `kept`: pages
 * kept and reused while their inputs are the same (rendered-pages.ts); none: every view renders.
 */
export function createRenderer(config: Config, assets: Manifest, kept?: RenderedPages) {
  // Templates are compiled once per process (restart to pick up edits, as for code).
  const eta = fastEta(path.join(ROOT_DIR, 'views'));
  const asset = (name: string) => assets[name] ?? `/static/missing/${name}`;

  /**
   * What a view reads about the request. `placeholders`: render a page to keep (rendered-pages.ts),
   * with placeholders where this request's nonce and CSRF token go.
   */
  function context(c: Context, title?: string, opts: RenderOptions = {}, placeholders?: typeof PLACEHOLDERS) {
    const auth = c.get('auth');
    // A page shared caches may store (middleware/public-cache.ts) prints nothing per visitor: no
    // nonce (its CSP allows its inline bits by hash), and reading the CSRF token marks it private.
    const publicCache = c.get('publicCache') === true;
    const actor = c.get('actor') ?? null;
    const flash = readFlash(c);
    const branding = c.get('branding') ?? defaultBranding(config.BRAND_NAME);
    return {
      actor,
      /** The same permission question routes ask (STYLE.md 5): hide what the actor may not use. */
      can: (permission: Permission) => can(actor, permission),
      /** A layout's sidebar (src/web/navigation.ts): the links this actor may follow, the current one marked. */
      navigation: (which: keyof typeof NAVIGATION) => navigationFor(NAVIGATION[which], actor, c.req.path),
      impersonation: auth?.impersonatorUserId ? { expiresAt: auth.expiresAt } : null,
      /** The brand name (Platform settings → Branding, else BRAND_NAME). */
      brand: branding.name,
      /** The brand (domain/settings/site.ts `Branding`): name, logoUrl, faviconUrl, primaryColor, footerLinks, supportEmail, businessHours. */
      branding,
      /** The brand colour's CSS variables for a nonce'd <style> in <head> ('' : none). */
      brandCss: brandColourCss(branding.brandColour),
      title,
      path: c.req.path,
      nonce: publicCache ? '' : (placeholders?.nonce ?? c.get('nonce')),
      /** Read by a form or the layouts: a page that prints it is never stored by shared caches. */
      get csrfToken() {
        c.set('csrfTokenShown', true);
        return placeholders?.csrf ?? c.get('csrfToken');
      },
      /** Stored by shared caches when nothing per visitor gets printed (middleware/public-cache.ts). */
      publicCache,
      /** Public pages' meta tags (views/public/site/_meta.eta): the canonical URL is PUBLIC_URL + path, never the Host header. */
      meta: {
        description: opts.description ?? null,
        image: absoluteUrl(config.publicUrl, opts.image),
        canonical: (opts.status ?? 200) === 200 ? config.publicUrl + c.req.path : null,
      },
      user: auth?.user ?? null,
      flash,
      asset,
      emulators: config.emulatorsEnabled,
      /** A production server running the emulators (explicitly allowed): every layout says so. */
      emulatorsInProduction: config.emulatorsInProduction,
      mailOutbox: config.mailTransport === 'outbox',
      /** The active organization's balance below zero and what happens when (portal layout's banner). */
      arrears: c.get('arrears') ?? null,
      /** The portal header's unread count and balance (middleware/header-status.ts); null: the bell loads its count itself. */
      header: c.get('headerStatus') ?? null,
      /** Maintenance mode while it is on (middleware/maintenance.ts): every layout's banner. */
      maintenance: c.get('maintenance') ?? null,
      /** The colour preset (middleware/theme.ts; the default before it ran): `data-theme` on <html>. */
      theme: c.get('theme') ?? DEFAULT_THEME,
      /** The announcements this visitor sees now (middleware/announcements.ts): every layout's banners. */
      announcements: c.get('announcements') ?? [],
    };
  }

  function render(
    c: Context,
    template: string,
    data: Record<string, unknown>,
    opts: RenderOptions = {},
    placeholders?: typeof PLACEHOLDERS,
  ): string {
    const ctx = context(c, opts.title, opts, placeholders);
    const it = { ...data, ctx, h: viewHelpers(ctx.user?.timezone ?? 'UTC') };
    if (regionOnly(c, opts)) return eta.render(opts.region!.partial, it);
    const body = eta.render(template, it);
    const layout = opts.layout ?? 'public';
    return layout === 'bare' ? body : eta.render(`layouts/${layout}`, { ...it, body });
  }

  /**
   * The page's bytes, reused from `kept` when this request's inputs name a page rendered before
   * (rendered-pages.ts). Everything `context()` gives a view that is not derived from the names
   * below is the same for the whole process (configuration, asset names); `can` and `navigation`
   * answer from the actor and the path. A one-time message (flash) is shown once: not kept.
   */
  function pageBytes(
    c: Context,
    template: string,
    data: Record<string, unknown>,
    opts: RenderOptions,
  ): Buffer<ArrayBuffer> {
    const publicCache = c.get('publicCache') === true;
    const nonce = publicCache ? '' : c.get('nonce');
    const csrfToken = c.get('csrfToken');
    const key =
      kept &&
      typeof nonce === 'string' &&
      typeof csrfToken === 'string' &&
      (publicCache || nonce !== '') &&
      fillable(nonce, csrfToken) &&
      getCookie(c, FLASH_COOKIE) === undefined
        ? pageKey(c, template, data, opts, publicCache)
        : undefined;
    if (key === undefined) {
      kept?.rendered();
      return Buffer.from(render(c, template, data, opts), 'utf8');
    }
    let page = kept!.get(key);
    if (page) {
      if (page.csrfShown) c.set('csrfTokenShown', true);
    } else {
      const shownBefore = c.get('csrfTokenShown') === true;
      c.set('csrfTokenShown', false);
      const html = render(c, template, data, opts, PLACEHOLDERS);
      const shown = c.get('csrfTokenShown') === true;
      c.set('csrfTokenShown', shownBefore || shown);
      page = kept!.keep(key, html, shown);
    }
    return fill(page, nonce, csrfToken);
  }

  function pageKey(
    c: Context,
    template: string,
    data: Record<string, unknown>,
    opts: RenderOptions,
    publicCache: boolean,
  ): string | undefined {
    const auth = c.get('auth');
    return identityKey([
      template,
      opts.layout,
      opts.status,
      opts.title,
      opts.description,
      opts.image,
      regionOnly(c, opts),
      c.req.path,
      publicCache,
      auth?.user ?? null,
      auth?.impersonatorUserId ?? null,
      auth?.expiresAt ?? null,
      c.get('actor') ?? null,
      c.get('branding') ?? null,
      c.get('arrears') ?? null,
      c.get('headerStatus') ?? null,
      c.get('maintenance') ?? null,
      c.get('theme') ?? null,
      c.get('announcements') ?? null,
      data,
    ]);
  }

  return {
    /** Renders a page (or just its region for a targeted htmx request) as the response. */
    page(c: Context, template: string, data: Record<string, unknown>, opts: RenderOptions = {}) {
      c.header('Vary', 'HX-Request, HX-Target');
      if (c.get('auth')) c.header('Cache-Control', 'no-store');
      c.header('Content-Type', 'text/html; charset=UTF-8');
      return c.body(pageBytes(c, template, data, opts), opts.status ?? 200);
    },
    /** Renders one partial (for htmx inline updates). */
    partial(c: Context, template: string, data: Record<string, unknown>, status: 200 | 422 = 200) {
      c.header('Vary', 'HX-Request, HX-Target');
      c.header('Cache-Control', 'no-store');
      const ctx = context(c);
      return sendHtml(c, eta.render(template, { ...data, ctx, h: viewHelpers(ctx.user?.timezone ?? 'UTC') }), status);
    },
    renderString: render,
  };
}

/**
 * Rendered HTML as the response, sent as its UTF-8 bytes. A rendered page is a string built of
 * thousands of pieces; sent as a string it is flattened and encoded twice on its way out (once
 * to count its bytes for Content-Length, once more joined to the head of the response), which
 * measured a twentieth to a tenth of a page's CPU and a third of its garbage (`npm run bench`).
 */
function sendHtml(c: Context, html: string, status: NonNullable<RenderOptions['status']>) {
  c.header('Content-Type', 'text/html; charset=UTF-8');
  return c.body(Buffer.from(html, 'utf8'), status);
}

/** `url` made absolute on `origin` (site-relative paths), as it is when already http(s); null otherwise. */
export function absoluteUrl(origin: string, url: string | undefined): string | null {
  if (!url) return null;
  if (url.startsWith('/') && !url.startsWith('//')) return origin + url;
  return /^https?:\/\/[^/\s]/i.test(url) ? url : null;
}

/** After a successful write: 303 for plain forms, HX-Redirect for htmx (a full navigation). */
export function redirect(c: Context, url: string) {
  if (c.req.header('hx-request')) {
    c.header('HX-Redirect', url);
    return c.body(null, 200);
  }
  return c.redirect(url, 303);
}

/** A one-time message shown on the next page. */
export function flash(c: Context, message: string, kind: 'success' | 'info' | 'error' = 'success') {
  setCookie(c, FLASH_COOKIE, encodeURIComponent(JSON.stringify({ message: message.slice(0, 300), kind })), {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: 60,
  });
}

function readFlash(c: Context): { message: string; kind: string } | null {
  const raw = getCookie(c, FLASH_COOKIE);
  if (!raw) return null;
  deleteCookie(c, FLASH_COOKIE, { path: '/' });
  try {
    const v = JSON.parse(decodeURIComponent(raw)) as { message?: unknown; kind?: unknown };
    return typeof v.message === 'string'
      ? { message: v.message, kind: v.kind === 'error' || v.kind === 'info' ? v.kind : 'success' }
      : null;
  } catch {
    return null;
  }
}

/** "Chrome on Linux" from a User-Agent header, for people; the raw string stays in the database. */
export function describeUserAgent(ua: string | null | undefined): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : /curl\//.test(ua)
              ? 'curl'
              : null;
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Android/.test(ua)
        ? 'Android'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  if (!browser && !os) return ua.slice(0, 60);
  return [browser ?? 'Browser', os].filter(Boolean).join(' on ');
}
