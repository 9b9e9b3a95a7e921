import type { DbOrTx } from '../../db/index.ts';
import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { getSetting, withDefaults } from './store.ts';

/**
 * Site settings (`platform_settings` key `site`, issue 16 item 6): the brand (name, logo,
 * favicon, primary colour, footer links), how to reach support (address, business hours) and
 * the seller printed on invoices. Stored as JSON (`{"brandName":"Acme Cloud","logoFileId":
 * "…uuid…","primaryColor":"#0f766e","footerLinks":[{"label":"Status","url":"/status"}],…}`);
 * each field falls back to its default alone when missing or invalid.
 *
 * Read on every page (the layouts' brand), so it is kept per process in the data cache under
 * the `catalogue` scope: the `platform_settings` trigger (migration 0021) NOTIFYs `catalogue`
 * on every write.
 */
export interface FooterLink {
  label: string;
  /** http(s) URL or a site-relative path (`/status`). */
  url: string;
}

export interface SellerDetails {
  /** The business name on invoices ('' : the brand name is printed). */
  name: string;
  /** Postal address, several lines. */
  address: string;
  /** VAT / tax number ('' : none printed). */
  taxId: string;
  /** Billing contact address ('' : none printed). */
  email: string;
}

export interface SiteSettings {
  /** The name on every page, email and invoice; default `BRAND_NAME` (the `brandName` option). */
  brandName: string;
  /** A stored raster image (src/domain/files/store.ts), served at /branding/logo; null: the name only. */
  logoFileId: string | null;
  /** A stored PNG/ICO-like raster image, served at /branding/favicon; null: none. */
  faviconFileId: string | null;
  /** `#rrggbb`: the brand colour replacing the default colour preset; null: the presets' colours. */
  primaryColor: string | null;
  /** At most MAX_FOOTER_LINKS links in every layout's footer. */
  footerLinks: FooterLink[];
  /** Where customers write to (contact page, emails); null: not published. */
  supportEmail: string | null;
  /** Free text such as "Mon–Fri 09:00–17:00 UTC"; '' when not said. */
  businessHours: string;
  /** The seller block of invoices and statements. */
  seller: SellerDetails;
}

export const DEFAULT_BRAND_NAME = 'SkyPanel';
export const MAX_FOOTER_LINKS = 8;
export const MAX_BRAND_NAME = 60;
export const MAX_LINK_LABEL = 40;
export const MAX_LINK_URL = 500;
export const MAX_BUSINESS_HOURS = 500;
export const MAX_SELLER_NAME = 120;
export const MAX_SELLER_ADDRESS = 500;
export const MAX_TAX_ID = 60;
export const MAX_EMAIL = 254;

export const HEX_COLOUR = /^#[0-9a-f]{6}$/;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A footer link's target: http(s) with a host, or a path on this site (`/x`, never `//x`). */
export function isSafeLinkUrl(url: string): boolean {
  if (url.length === 0 || url.length > MAX_LINK_URL || /[\s<>"'`\\]/.test(url)) return false;
  if (url.startsWith('/')) return !url.startsWith('//');
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname.length > 0 && !u.username;
  } catch {
    return false;
  }
}

export const isEmailAddress = (v: string) => v.length <= MAX_EMAIL && EMAIL.test(v);

const text =
  (max: number, allowEmpty = true) =>
  (v: unknown): v is string =>
    typeof v === 'string' && v.length <= max && (allowEmpty || v.trim().length > 0);
const fileId = (v: unknown): v is string | null => v === null || (typeof v === 'string' && UUID.test(v));
const isFooterLinks = (v: unknown): v is FooterLink[] =>
  Array.isArray(v) &&
  v.length <= MAX_FOOTER_LINKS &&
  v.every(
    (l) =>
      l &&
      typeof l === 'object' &&
      text(MAX_LINK_LABEL, false)((l as FooterLink).label) &&
      typeof (l as FooterLink).url === 'string' &&
      isSafeLinkUrl((l as FooterLink).url),
  );
const isSeller = (v: unknown): v is SellerDetails =>
  !!v &&
  typeof v === 'object' &&
  text(MAX_SELLER_NAME)((v as SellerDetails).name) &&
  text(MAX_SELLER_ADDRESS)((v as SellerDetails).address) &&
  text(MAX_TAX_ID)((v as SellerDetails).taxId) &&
  typeof (v as SellerDetails).email === 'string' &&
  ((v as SellerDetails).email === '' || isEmailAddress((v as SellerDetails).email));

export const EMPTY_SELLER: Readonly<SellerDetails> = Object.freeze({ name: '', address: '', taxId: '', email: '' });

/** What is stored (brandName null: the configured default). */
export interface StoredSite {
  brandName: string | null;
  logoFileId: string | null;
  faviconFileId: string | null;
  primaryColor: string | null;
  footerLinks: FooterLink[];
  supportEmail: string | null;
  businessHours: string;
  seller: SellerDetails;
}

export const STORED_SITE_DEFAULTS: StoredSite = {
  brandName: null,
  logoFileId: null,
  faviconFileId: null,
  primaryColor: null,
  footerLinks: [],
  supportEmail: null,
  businessHours: '',
  seller: { ...EMPTY_SELLER },
};

/** The stored site settings, each field valid (its default otherwise). */
export async function getStoredSite(db: DbOrTx): Promise<StoredSite> {
  return withDefaults<StoredSite>(
    await getSetting(db, 'site'),
    { ...STORED_SITE_DEFAULTS, footerLinks: [], seller: { ...EMPTY_SELLER } },
    {
      brandName: (v): v is string | null => v === null || text(MAX_BRAND_NAME, false)(v),
      logoFileId: fileId,
      faviconFileId: fileId,
      primaryColor: (v): v is string | null => v === null || (typeof v === 'string' && HEX_COLOUR.test(v)),
      footerLinks: isFooterLinks,
      supportEmail: (v): v is string | null => v === null || (typeof v === 'string' && isEmailAddress(v)),
      businessHours: text(MAX_BUSINESS_HOURS),
      seller: isSeller,
    },
  );
}

/**
 * The site settings, defaults filled in. `brandName`: the name used while staff have not set
 * one (pass `config.BRAND_NAME`; 'SkyPanel' otherwise); `siteSettings(deps)` does that for you.
 *
 * @example const { brandName, supportEmail } = await getSiteSettings(db, { cache, brandName: config.BRAND_NAME })
 */
export async function getSiteSettings(
  db: DbOrTx,
  opts: { cache?: DataCache; brandName?: string } = {},
): Promise<SiteSettings> {
  const fallback = opts.brandName?.trim() || DEFAULT_BRAND_NAME;
  if (opts.cache)
    return opts.cache.read(`site-settings:${fallback}`, [CATALOGUE], () =>
      getSiteSettings(db, { brandName: fallback }),
    );
  const s = await getStoredSite(db);
  return { ...s, brandName: s.brandName ?? fallback };
}

/** `getSiteSettings` with the configured brand name as the default and the process's cache when there is one. */
export function siteSettings(deps: {
  db: DbOrTx;
  config: { BRAND_NAME: string };
  cache?: DataCache;
}): Promise<SiteSettings> {
  return getSiteSettings(deps.db, { cache: deps.cache, brandName: deps.config.BRAND_NAME });
}

/**
 * What layouts get as `it.ctx.branding`: the site settings plus `name` (= brandName), the
 * image URLs and `brandColour` (the primary colour when it applies to this visitor: not for
 * people who picked their own colour preset; set by src/web/middleware/theme.ts).
 */
export interface Branding extends SiteSettings {
  name: string;
  /** `/branding/logo?v=<id>` when a logo is set (the query changes with the file: cache-safe), else null. */
  logoUrl: string | null;
  faviconUrl: string | null;
  /** `#rrggbb` to draw this page in, or null (the preset's colours). */
  brandColour: string | null;
}

export function brandingOf(s: SiteSettings): Branding {
  return {
    ...s,
    name: s.brandName,
    logoUrl: s.logoFileId ? `/branding/logo?v=${s.logoFileId.slice(0, 8)}` : null,
    faviconUrl: s.faviconFileId ? `/branding/favicon?v=${s.faviconFileId.slice(0, 8)}` : null,
    brandColour: s.primaryColor,
  };
}

/** The defaults' branding (no settings read): for responses rendered before the middleware ran. */
export function defaultBranding(brandName: string): Branding {
  return brandingOf({
    ...STORED_SITE_DEFAULTS,
    footerLinks: [],
    seller: { ...EMPTY_SELLER },
    brandName: brandName.trim() || DEFAULT_BRAND_NAME,
  });
}

const hexToRgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
const rgbToHex = (rgb: number[]) => `#${rgb.map((x) => Math.round(x).toString(16).padStart(2, '0')).join('')}`;
const mix = (a: number[], b: number[], t: number) => a.map((x, i) => x + (b[i]! - x) * t);

/**
 * The CSS that draws the UI in `hex` (validated `#rrggbb`, else ''): every `--color-brand-*`
 * shade (static/css/themes.css), the colour itself as 600, lighter shades mixed with white and
 * darker ones with black. Unlayered, so it wins over the presets' `@layer base` rules. Only
 * hex digits reach the output: safe inside a nonce'd <style>.
 */
export function brandColourCss(hex: string | null): string {
  if (!hex || !HEX_COLOUR.test(hex)) return '';
  let css = colourCss.get(hex);
  if (css === undefined) {
    css = shadesCss(hex);
    if (colourCss.size > 100) colourCss.clear();
    colourCss.set(hex, css);
  }
  return css;
}

/** brandColourCss per colour, worked out once: every page prints it. */
const colourCss = new Map<string, string>();

function shadesCss(hex: string): string {
  const c = hexToRgb(hex);
  const white = [255, 255, 255];
  const black = [0, 0, 0];
  const shades: [string, number[]][] = [
    ['50', mix(c, white, 0.92)],
    ['100', mix(c, white, 0.84)],
    ['200', mix(c, white, 0.68)],
    ['300', mix(c, white, 0.48)],
    ['400', mix(c, white, 0.28)],
    ['500', mix(c, white, 0.12)],
    ['600', c],
    ['700', mix(c, black, 0.18)],
    ['800', mix(c, black, 0.34)],
    ['900', mix(c, black, 0.48)],
    ['950', mix(c, black, 0.64)],
  ];
  const vars = shades.map(([n, rgb]) => `--color-brand-${n}:${rgbToHex(rgb)};--color-sky-${n}:${rgbToHex(rgb)}`);
  return `:root{--brand-primary:${hex};${vars.join(';')}}`;
}
