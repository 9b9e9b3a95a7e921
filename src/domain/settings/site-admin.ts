import { inTransaction } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { checkFile, isRasterImage } from '../../lib/file-types.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { deleteFile, withStoredFiles } from '../files/store.ts';
import {
  DEFAULT_BRAND_NAME,
  getStoredSite,
  HEX_COLOUR,
  isEmailAddress,
  isSafeLinkUrl,
  MAX_BRAND_NAME,
  MAX_BUSINESS_HOURS,
  MAX_FOOTER_LINKS,
  MAX_LINK_LABEL,
  MAX_SELLER_ADDRESS,
  MAX_SELLER_NAME,
  MAX_TAX_ID,
  type FooterLink,
  type SellerDetails,
  type SiteSettings,
  type StoredSite,
} from './site.ts';
import { putSetting } from './store.ts';

/**
 * Staff change the site settings (src/domain/settings/site.ts): Platform settings → Branding,
 * Support and invoices, and `PATCH /api/v1/admin/settings`. Only the fields given change;
 * everything is checked before anything is saved (a refusal changes nothing, files included).
 * Audited as `admin.settings_updated` with what changed (before and after).
 */

/** An uploaded image: its name as sent and its bytes (the type is sniffed, never taken from the client). */
export interface IncomingImage {
  name: string;
  bytes: Uint8Array;
}

export interface SiteSettingsChange {
  /** '' : back to BRAND_NAME. */
  brandName?: string;
  /** `#rrggbb` (any case); '' or null: none. */
  primaryColor?: string | null;
  footerLinks?: FooterLink[];
  /** '' or null: none. */
  supportEmail?: string | null;
  businessHours?: string;
  seller?: Partial<SellerDetails>;
  /** A new logo, or null to remove it. */
  logo?: IncomingImage | null;
  favicon?: IncomingImage | null;
}

export const MAX_LOGO_BYTES = 1024 * 1024;
export const MAX_FAVICON_BYTES = 256 * 1024;
/** What the image fields accept (raster images only: never SVG, which can carry script). */
export const IMAGE_ACCEPT = '.png,.jpg,.jpeg,.gif,.webp';
export const FAVICON_TYPES = ['image/png', 'image/gif', 'image/jpeg', 'image/webp'];

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const oneLine = (v: string) => v.replace(/\s+/g, ' ').trim();
const multiLine = (v: string) =>
  v
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();

function checkImage(which: 'logo' | 'favicon', img: IncomingImage, errors: Record<string, string>): string | null {
  const max = which === 'logo' ? MAX_LOGO_BYTES : MAX_FAVICON_BYTES;
  const label = which === 'logo' ? 'The logo' : 'The favicon';
  if (img.bytes.length > max) {
    errors[which] = `${label} is too large: at most ${max / 1024} KB.`;
    return null;
  }
  const check = checkFile(img.name, img.bytes);
  if (!check.ok || !isRasterImage(check.type)) {
    errors[which] = `${label} must be a PNG, JPEG, GIF or WebP image (checked by its content; SVG is not accepted).`;
    return null;
  }
  if (which === 'favicon' && !FAVICON_TYPES.includes(check.type)) {
    errors[which] = `${label} must be a PNG, GIF, JPEG or WebP image.`;
    return null;
  }
  return check.type;
}

/** The checked change as it will be stored, or a ValidationError naming each bad field. */
function validate(change: SiteSettingsChange): {
  next: Partial<Omit<StoredSite, 'seller'>> & { seller?: Partial<SellerDetails> };
  images: { logo?: { type: string; bytes: Uint8Array } | null; favicon?: { type: string; bytes: Uint8Array } | null };
} {
  const errors: Record<string, string> = {};
  const next: Partial<Omit<StoredSite, 'seller'>> & { seller?: Partial<SellerDetails> } = {};
  if (change.brandName !== undefined) {
    const v = oneLine(change.brandName);
    if (v.length > MAX_BRAND_NAME || CONTROL.test(v)) errors.brandName = `Use at most ${MAX_BRAND_NAME} characters.`;
    else next.brandName = v || null;
  }
  if (change.primaryColor !== undefined) {
    const v = (change.primaryColor ?? '').trim().toLowerCase();
    if (v && !HEX_COLOUR.test(v)) errors.primaryColor = 'Enter a colour as #rrggbb, e.g. #0f766e, or leave it empty.';
    else next.primaryColor = v || null;
  }
  if (change.footerLinks !== undefined) {
    const links: FooterLink[] = [];
    if (change.footerLinks.length > MAX_FOOTER_LINKS) errors.footerLinks = `At most ${MAX_FOOTER_LINKS} links.`;
    change.footerLinks.slice(0, MAX_FOOTER_LINKS).forEach((l, i) => {
      const label = oneLine(String(l.label ?? ''));
      const url = String(l.url ?? '').trim();
      if (!label || label.length > MAX_LINK_LABEL || CONTROL.test(label))
        errors[`footerLinks.${i}.label`] = `Give the link a label of at most ${MAX_LINK_LABEL} characters.`;
      if (!isSafeLinkUrl(url))
        errors[`footerLinks.${i}.url`] = 'Enter an http(s) address (https://…) or a path on this site (/status).';
      links.push({ label, url });
    });
    next.footerLinks = links;
  }
  if (change.supportEmail !== undefined) {
    const v = (change.supportEmail ?? '').trim();
    if (v && !isEmailAddress(v))
      errors.supportEmail = 'Enter an email address such as support@example.com, or leave it empty.';
    else next.supportEmail = v || null;
  }
  if (change.businessHours !== undefined) {
    const v = multiLine(change.businessHours);
    if (v.length > MAX_BUSINESS_HOURS) errors.businessHours = `Use at most ${MAX_BUSINESS_HOURS} characters.`;
    else next.businessHours = v;
  }
  if (change.seller) {
    const s = change.seller;
    const seller: Partial<SellerDetails> = {};
    if (s.name !== undefined) {
      const v = oneLine(s.name);
      if (v.length > MAX_SELLER_NAME) errors.sellerName = `Use at most ${MAX_SELLER_NAME} characters.`;
      else seller.name = v;
    }
    if (s.address !== undefined) {
      const v = multiLine(s.address);
      if (v.length > MAX_SELLER_ADDRESS || CONTROL.test(v))
        errors.sellerAddress = `Use at most ${MAX_SELLER_ADDRESS} characters.`;
      else seller.address = v;
    }
    if (s.taxId !== undefined) {
      const v = oneLine(s.taxId);
      if (v.length > MAX_TAX_ID) errors.sellerTaxId = `Use at most ${MAX_TAX_ID} characters.`;
      else seller.taxId = v;
    }
    if (s.email !== undefined) {
      const v = s.email.trim();
      if (v && !isEmailAddress(v))
        errors.sellerEmail = 'Enter an email address such as billing@example.com, or leave it empty.';
      else seller.email = v;
    }
    next.seller = seller;
  }
  const images: ReturnType<typeof validate>['images'] = {};
  for (const which of ['logo', 'favicon'] as const) {
    const img = change[which];
    if (img === undefined) continue;
    if (img === null) images[which] = null;
    else {
      const type = checkImage(which, img, errors);
      if (type) images[which] = { type, bytes: img.bytes };
    }
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { next, images };
}

const NAMES: Record<string, string> = {
  brandName: 'brand_name',
  logoFileId: 'logo',
  faviconFileId: 'favicon',
  primaryColor: 'primary_color',
  footerLinks: 'footer_links',
  supportEmail: 'support_email',
  businessHours: 'business_hours',
  'seller.name': 'seller_name',
  'seller.address': 'seller_address',
  'seller.taxId': 'seller_tax_id',
  'seller.email': 'seller_email',
};

const flat = (s: StoredSite): Record<string, string | null> => ({
  brandName: s.brandName,
  logoFileId: s.logoFileId,
  faviconFileId: s.faviconFileId,
  primaryColor: s.primaryColor,
  footerLinks: JSON.stringify(s.footerLinks),
  supportEmail: s.supportEmail,
  businessHours: s.businessHours,
  'seller.name': s.seller.name,
  'seller.address': s.seller.address,
  'seller.taxId': s.seller.taxId,
  'seller.email': s.seller.email,
});

/**
 * Saves a change to the site settings and returns them (brand name default: BRAND_NAME). A
 * replaced or removed logo/favicon's stored file is deleted with the change.
 */
export async function updateSiteSettings(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  actor: Actor,
  change: SiteSettingsChange,
): Promise<SiteSettings> {
  requirePlatformAdmin(actor);
  const { next, images } = validate(change);
  const now = deps.clock.now();
  const saved = await withStoredFiles(deps, (store) =>
    inTransaction(deps.db, async (trx) => {
      const before = await getStoredSite(trx);
      const after: StoredSite = {
        ...before,
        ...next,
        footerLinks: next.footerLinks ?? before.footerLinks,
        seller: { ...before.seller, ...next.seller },
      };
      const discard: string[] = [];
      for (const which of ['logo', 'favicon'] as const) {
        const img = images[which];
        const key = which === 'logo' ? 'logoFileId' : 'faviconFileId';
        if (img === undefined) continue;
        if (before[key]) discard.push(before[key]);
        after[key] = img === null ? null : (await store(trx, { bytes: img.bytes, contentType: img.type })).id;
      }
      const old = flat(before);
      const now2 = flat(after);
      const changed: string[] = [];
      const details: Record<string, string | null> = { setting: 'site' };
      for (const k of Object.keys(now2))
        if (now2[k] !== old[k]) {
          const name = NAMES[k]!;
          changed.push(name);
          details[name] = now2[k] ?? null;
          details[`${name}_before`] = old[k] ?? null;
        }
      if (changed.length) {
        await putSetting(trx, 'site', { ...after }, actor.userId, now);
        await recordActivity(trx, {
          action: 'admin.settings_updated',
          actorUserId: actor.userId,
          origin: actor.origin,
          occurredAt: now,
          details: { ...details, changed: changed.join(', ') },
        });
        for (const id of discard) await deleteFile(deps, trx, id);
      }
      return after;
    }),
  );
  return { ...saved, brandName: saved.brandName ?? (deps.config.BRAND_NAME.trim() || DEFAULT_BRAND_NAME) };
}
