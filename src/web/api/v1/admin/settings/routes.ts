import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { inTransaction } from '../../../../../db/index.ts';
import {
  getBillingValues,
  MAX_TOP_UP_PRESETS,
  updateBillingValues,
  type BillingValuesChange,
} from '../../../../../domain/settings/billing-policy.ts';
import {
  getPlatformSettings,
  MAX_MESSAGE_LENGTH,
  updatePlatformSettings,
  type PlatformSettings,
} from '../../../../../domain/settings/platform.ts';
import { serverSettings } from '../../../../../domain/settings/servers.ts';
import { updateSiteSettings, type SiteSettingsChange } from '../../../../../domain/settings/site-admin.ts';
import {
  brandingOf,
  MAX_BRAND_NAME,
  MAX_BUSINESS_HOURS,
  MAX_FOOTER_LINKS,
  MAX_LINK_LABEL,
  MAX_LINK_URL,
  MAX_SELLER_ADDRESS,
  MAX_SELLER_NAME,
  MAX_TAX_ID,
  siteSettings,
  type SiteSettings,
} from '../../../../../domain/settings/site.ts';
import { THEMES, type ThemeId } from '../../../../../domain/settings/themes.ts';
import { ValidationError } from '../../../../../lib/errors.ts';
import { toDecimal } from '../../../../../lib/money.ts';
import type { AppDeps } from '../../../../context.ts';
import { formFiles } from '../../../../attachments.ts';
import { caller } from '../../bearer-auth.ts';
import { errorResponses, json, Money, Timestamp } from '../../schemas.ts';
import { staff, tags } from '../tickets/routes.ts';

const ThemeName = z.enum(THEMES.map((t) => t.id) as [ThemeId, ...ThemeId[]]).openapi({
  description: 'The colour theme for visitors and for everyone who keeps "Platform default" (Settings → Appearance).',
  example: 'emerald',
});

const Maintenance = z
  .object({
    enabled: z.boolean().openapi({ description: 'On: every customer write is refused with 503 `maintenance`.' }),
    message: z.string().openapi({ example: 'Moving to a bigger database. Back by 02:00 UTC.' }),
    planned_end: Timestamp.nullable().openapi({ description: 'When staff expect to be done; sent as `Retry-After`.' }),
  })
  .openapi('MaintenanceSettings');

const FooterLink = z
  .object({
    label: z.string().min(1).max(MAX_LINK_LABEL).openapi({ example: 'Status' }),
    url: z
      .string()
      .min(1)
      .max(MAX_LINK_URL)
      .openapi({ example: '/status', description: 'An http(s) address or a path on this site (`/status`).' }),
  })
  .strict()
  .openapi('FooterLink');

const HexColour = z.string().openapi({ example: '#0f766e', description: '`#rrggbb`.' });

const BillingSettingsSchema = z
  .object({
    currency: z.string().openapi({ example: 'USD', description: 'Read-only: `BILLING_CURRENCY`.' }),
    top_up_min: Money,
    top_up_max: Money,
    top_up_presets: z
      .array(Money)
      .openapi({ description: 'One-click top-up amounts on the billing page (those within the limits are shown).' }),
    low_balance_threshold: Money.openapi({
      description: 'Billing contacts are reminded below this balance. Default: `LOW_BALANCE_THRESHOLD`.',
    }),
    dunning_suspend_after_hours: z.int().openapi({
      description: 'Hours in arrears before servers are suspended. Default: `DUNNING_SUSPEND_AFTER_HOURS`.',
    }),
    dunning_terminate_after_days: z.int().openapi({
      description: 'Days in arrears before servers are deleted. Default: `DUNNING_TERMINATE_AFTER_DAYS`.',
    }),
  })
  .openapi('BillingSettings');

const BrandingSchema = z
  .object({
    name: z.string().openapi({ example: 'Acme Cloud', description: 'Staff’s brand name, else `BRAND_NAME`.' }),
    primary_color: HexColour.nullable().openapi({ description: 'null: the colour themes’ own.' }),
    footer_links: z.array(FooterLink),
    logo_url: z.string().nullable().openapi({
      example: '/branding/logo?v=3f2a9c1e',
      description: 'Uploaded at /admin/platform-settings/branding; null: none.',
    }),
    favicon_url: z.string().nullable().openapi({ example: '/branding/favicon?v=8b1d2e44' }),
  })
  .openapi('BrandingSettings');

const SupportSchema = z
  .object({
    email: z.string().nullable().openapi({ example: 'support@example.com', description: 'null: not published.' }),
    business_hours: z.string().openapi({ example: 'Monday to Friday, 09:00–17:00 UTC' }),
  })
  .openapi('SupportSettings');

const SellerSchema = z
  .object({
    name: z.string().openapi({ example: 'Acme Cloud Ltd', description: "'': the brand name is printed." }),
    address: z.string().openapi({ example: '1 Example Street\nLondon' }),
    tax_id: z.string().openapi({ example: 'GB123456789' }),
    email: z.string().openapi({ example: 'billing@example.com' }),
  })
  .openapi('SellerSettings', { description: 'The seller block of invoices and statements.' });

export const PlatformSettingsResponse = z
  .object({
    maintenance: Maintenance,
    registration_enabled: z.boolean().openapi({
      description:
        'Off: registration is refused (`registration_closed`) except for addresses with a pending invitation.',
    }),
    default_theme: ThemeName,
    webhook_loopback_allowed: z.boolean().openapi({
      description:
        'Development only: outbound webhooks may go to loopback addresses (127.0.0.0/8, ::1), over http too. Off by default; every other private or reserved address stays refused.',
    }),
    billing: BillingSettingsSchema,
    branding: BrandingSchema,
    support: SupportSchema,
    seller: SellerSchema,
    servers: z
      .object({ sales_enabled: z.boolean(), rdns_base_domain: z.string().nullable() })
      .openapi({ description: 'Read-only here: changed at /admin/server-settings.' }),
    brand_name: z.string().openapi({ description: 'The brand name (as `branding.name`): staff’s, else `BRAND_NAME`.' }),
  })
  .openapi('PlatformSettings');

export const PlatformSettingsPatch = z
  .object({
    maintenance: z
      .object({
        enabled: z.boolean().optional(),
        message: z
          .string()
          .max(MAX_MESSAGE_LENGTH * 2)
          .optional()
          .openapi({ description: `At most ${MAX_MESSAGE_LENGTH} characters; empty: the standard message.` }),
        planned_end: z.iso
          .datetime({ offset: true })
          .nullable()
          .optional()
          .openapi({ description: 'ISO 8601 with an offset, in the future; null: none.' }),
      })
      .strict()
      .optional(),
    registration_enabled: z.boolean().optional(),
    default_theme: ThemeName.optional(),
    webhook_loopback_allowed: z.boolean().optional(),
    branding: z
      .object({
        name: z
          .string()
          .max(MAX_BRAND_NAME * 2)
          .nullable()
          .optional()
          .openapi({ description: `At most ${MAX_BRAND_NAME} characters; null or '': back to \`BRAND_NAME\`.` }),
        primary_color: HexColour.nullable().optional().openapi({ description: "`#rrggbb`; null or '': none." }),
        footer_links: z.array(FooterLink).max(MAX_FOOTER_LINKS).optional(),
        logo: z.null().optional().openapi({ description: 'null: remove the logo (upload it on the admin screen).' }),
        favicon: z.null().optional().openapi({ description: 'null: remove the favicon.' }),
      })
      .strict()
      .optional(),
    support: z
      .object({
        email: z.string().max(254).nullable().optional().openapi({ description: "null or '': none." }),
        business_hours: z
          .string()
          .max(MAX_BUSINESS_HOURS * 2)
          .optional(),
      })
      .strict()
      .optional(),
    seller: z
      .object({
        name: z
          .string()
          .max(MAX_SELLER_NAME * 2)
          .optional(),
        address: z
          .string()
          .max(MAX_SELLER_ADDRESS * 2)
          .optional(),
        tax_id: z
          .string()
          .max(MAX_TAX_ID * 2)
          .optional(),
        email: z.string().max(254).optional(),
      })
      .strict()
      .optional(),
    billing: z
      .object({
        top_up_min: z.string().max(30).optional().openapi({ example: '5.00' }),
        top_up_max: z.string().max(30).optional().openapi({ example: '1000.00' }),
        top_up_presets: z
          .array(z.string().max(30))
          .max(MAX_TOP_UP_PRESETS)
          .optional()
          .openapi({ example: ['10.00', '25.00', '50.00'], description: 'Each within the limits.' }),
        low_balance_threshold: z.string().max(30).optional().openapi({ example: '5.00' }),
        dunning_suspend_after_hours: z.int().optional().openapi({
          description:
            'At most `dunning_terminate_after_days` × 24 − 24 (servers are suspended before the final notice).',
        }),
        dunning_terminate_after_days: z.int().optional().openapi({ description: 'From 2 to 365.' }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('PlatformSettingsPatch', {
    example: { maintenance: { enabled: true, message: 'Back soon.' }, registration_enabled: false },
  });

const REFUSED = { 403: 'Not a platform admin’s access token (API keys never act as staff).' };

/** The domain's field names as the API spells them. */
const FIELD_NAMES: Record<string, string> = {
  maintenanceEnabled: 'maintenance.enabled',
  maintenanceMessage: 'maintenance.message',
  maintenancePlannedEnd: 'maintenance.planned_end',
  registrationEnabled: 'registration_enabled',
  defaultTheme: 'default_theme',
  webhookLoopbackAllowed: 'webhook_loopback_allowed',
  brandName: 'branding.name',
  primaryColor: 'branding.primary_color',
  footerLinks: 'branding.footer_links',
  logo: 'branding.logo',
  favicon: 'branding.favicon',
  supportEmail: 'support.email',
  businessHours: 'support.business_hours',
  sellerName: 'seller.name',
  sellerAddress: 'seller.address',
  sellerTaxId: 'seller.tax_id',
  sellerEmail: 'seller.email',
  topUpMin: 'billing.top_up_min',
  topUpMax: 'billing.top_up_max',
  topUpPresets: 'billing.top_up_presets',
  lowBalanceThreshold: 'billing.low_balance_threshold',
  dunningSuspendAfterHours: 'billing.dunning_suspend_after_hours',
  dunningTerminateAfterDays: 'billing.dunning_terminate_after_days',
};
const apiField = (k: string) => {
  const m = /^footerLinks\.(\d+)\.(label|url)$/.exec(k);
  return m ? `branding.footer_links.${m[1]}.${m[2]}` : (FIELD_NAMES[k] ?? k);
};

/**
 * Platform settings for staff (as /admin/platform-settings): maintenance mode, the
 * registration switch, the default theme, webhooks to loopback (development), branding,
 * support, seller and billing values, changed with PATCH (only the fields sent); GET adds the billing and
 * server settings and the brand, read-only here.
 */
export function adminSettingsRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const present = async (s: PlatformSettings, site?: SiteSettings) => {
    const billing = await getBillingValues(deps.db, deps.config);
    const servers = await serverSettings(deps.db);
    site ??= await siteSettings({ db: deps.db, config: deps.config });
    const b = brandingOf(site);
    return PlatformSettingsResponse.parse({
      maintenance: {
        enabled: s.maintenance.enabled,
        message: s.maintenance.message,
        planned_end: s.maintenance.plannedEnd?.toISOString() ?? null,
      },
      registration_enabled: s.registrationEnabled,
      default_theme: s.defaultTheme,
      webhook_loopback_allowed: s.webhookLoopbackAllowed,
      billing: {
        currency: deps.config.BILLING_CURRENCY,
        top_up_min: toDecimal(billing.topUpMin),
        top_up_max: toDecimal(billing.topUpMax),
        top_up_presets: billing.topUpPresets.map((p) => toDecimal(p)),
        low_balance_threshold: toDecimal(billing.lowBalanceThreshold),
        dunning_suspend_after_hours: billing.dunningSuspendAfterHours,
        dunning_terminate_after_days: billing.dunningTerminateAfterDays,
      },
      branding: {
        name: b.name,
        primary_color: b.primaryColor,
        footer_links: b.footerLinks,
        logo_url: b.logoUrl,
        favicon_url: b.faviconUrl,
      },
      support: { email: site.supportEmail, business_hours: site.businessHours },
      seller: {
        name: site.seller.name,
        address: site.seller.address,
        tax_id: site.seller.taxId,
        email: site.seller.email,
      },
      servers: { sales_enabled: servers.salesEnabled, rdns_base_domain: servers.rdnsBaseDomain },
      brand_name: site.brandName,
    });
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/settings',
      tags,
      operationId: 'adminGetSettings',
      summary:
        'The platform settings: maintenance mode, registration, theme, webhooks to loopback, branding, support, seller details, billing values (and, read-only, server settings)',
      ...staff,
      responses: {
        200: { description: 'The settings.', ...json(PlatformSettingsResponse) },
        ...errorResponses([401, 403, 429], REFUSED),
      },
    }),
    async (c) => {
      caller(c);
      return c.json(await present(await getPlatformSettings(deps.db)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/settings',
      tags,
      operationId: 'adminUpdateSettings',
      summary:
        'Change maintenance mode, registration, the default theme, webhooks to loopback, branding, support details, the seller on invoices and billing values',
      description:
        'Only the fields sent change; everything sent is checked first and a refusal changes nothing. While maintenance is on, every write by customers’ access tokens and API keys (and in the browser) answers 503 `maintenance` with `Retry-After`; platform admins’ own tokens keep working. Logo and favicon are uploaded on the admin screen (/admin/platform-settings/branding); here they can be removed (`null`). Money is a decimal string in major units. Audited as `admin.settings_updated` with what changed.',
      ...staff,
      request: { body: { required: true, ...json(PlatformSettingsPatch) } },
      responses: {
        200: { description: 'The settings as saved.', ...json(PlatformSettingsResponse) },
        ...errorResponses([400, 401, 403, 413, 415, 422, 429], {
          ...REFUSED,
          422: '`validation_failed`: `maintenance.message` (too long), `maintenance.planned_end` (not in the future), `branding.primary_color` (not `#rrggbb`), `branding.footer_links.<n>.url` (not http(s) or a site path), `support.email`, `seller.*`, `billing.*` (limits out of order, presets outside them, dunning periods breaking the rule), or an unknown field.',
        }),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const m = body.maintenance ?? {};
      const actor = caller(c);
      const site = siteChange(body);
      const billing = billingChange(body.billing);
      try {
        // One transaction: a refusal in any part changes nothing.
        const [saved, savedSite] = await inTransaction(deps.db, async (trx) => {
          const d = { ...deps, db: trx };
          const p = await updatePlatformSettings(d, actor, {
            maintenanceEnabled: m.enabled,
            maintenanceMessage: m.message,
            maintenancePlannedEnd:
              m.planned_end === undefined ? undefined : m.planned_end === null ? null : new Date(m.planned_end),
            registrationEnabled: body.registration_enabled,
            defaultTheme: body.default_theme,
            webhookLoopbackAllowed: body.webhook_loopback_allowed,
          });
          const s = site ? await updateSiteSettings(d, actor, site) : undefined;
          if (billing) await updateBillingValues(d, actor, billing);
          return [p, s] as const;
        });
        return c.json(await present(saved, savedSite), 200);
      } catch (err) {
        if (err instanceof ValidationError && err.fields)
          throw new ValidationError(
            Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [apiField(k), v])),
            err.message,
          );
        throw err;
      }
    },
  );

  // The brand's images: multipart, the field `file` (JSON cannot carry them).
  for (const which of ['logo', 'favicon'] as const) {
    app.openapi(
      createRoute({
        method: 'put',
        path: `/admin/settings/branding/${which}`,
        tags,
        operationId: which === 'logo' ? 'adminUploadLogo' : 'adminUploadFavicon',
        summary: which === 'logo' ? 'Upload the logo' : 'Upload the favicon',
        description: `\`multipart/form-data\` with the image in the field \`file\`: PNG, JPEG, GIF or WebP, checked by its content (never SVG), at most ${which === 'logo' ? '1 MB (the request at most 1 MiB)' : '256 KB'}; the name's extension must agree. Replaces the ${which} (the old file is deleted); remove it with \`PATCH /admin/settings\` \`{ "branding": { "${which}": null } }\`. Served at /branding/${which}. Audited as \`admin.settings_updated\`.`,
        ...staff,
        request: {
          body: {
            required: false,
            content: { 'multipart/form-data': { schema: ImageUpload } },
          },
        },
        responses: {
          200: { description: 'The settings as saved.', ...json(PlatformSettingsResponse) },
          ...errorResponses([400, 401, 403, 413, 415, 422, 429, 503], {
            ...REFUSED,
            422: `\`validation_failed\`: \`branding.${which}\` (no file, not an accepted image, too large).`,
            503: '`storage_unavailable`: the file storage (an S3 bucket) cannot be reached; nothing was kept.',
          }),
        },
      }),
      async (c) => {
        const actor = caller(c);
        const [file] = await formFiles(c, 'file');
        if (!file)
          throw new ValidationError({ [`branding.${which}`]: 'Send the image in the multipart field `file`.' });
        try {
          const saved = await updateSiteSettings(deps, actor, { [which]: file });
          return c.json(await present(await getPlatformSettings(deps.db), saved), 200);
        } catch (err) {
          if (err instanceof ValidationError && err.fields)
            throw new ValidationError(
              Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [apiField(k), v])),
              err.message,
            );
          throw err;
        }
      },
    );
  }

  return app;
}

const ImageUpload = z
  .object({
    file: z.any().openapi({ type: 'string', format: 'binary', description: 'The image (PNG, JPEG, GIF or WebP).' }),
  })
  .openapi('BrandImageUpload');

type Patch = z.infer<typeof PlatformSettingsPatch>;

/** The site settings part of a PATCH (branding, support, seller), or null when none is sent. */
function siteChange(body: Patch): SiteSettingsChange | null {
  const { branding: b, support: s, seller } = body;
  if (!b && !s && !seller) return null;
  const change: SiteSettingsChange = {};
  if (b?.name !== undefined) change.brandName = b.name ?? '';
  if (b?.primary_color !== undefined) change.primaryColor = b.primary_color;
  if (b?.footer_links !== undefined) change.footerLinks = b.footer_links;
  if (b?.logo === null) change.logo = null;
  if (b?.favicon === null) change.favicon = null;
  if (s?.email !== undefined) change.supportEmail = s.email;
  if (s?.business_hours !== undefined) change.businessHours = s.business_hours;
  if (seller)
    change.seller = {
      ...(seller.name !== undefined ? { name: seller.name } : {}),
      ...(seller.address !== undefined ? { address: seller.address } : {}),
      ...(seller.tax_id !== undefined ? { taxId: seller.tax_id } : {}),
      ...(seller.email !== undefined ? { email: seller.email } : {}),
    };
  return change;
}

function billingChange(b: Patch['billing']): BillingValuesChange | null {
  if (!b) return null;
  return {
    topUpMin: b.top_up_min,
    topUpMax: b.top_up_max,
    topUpPresets: b.top_up_presets,
    lowBalanceThreshold: b.low_balance_threshold,
    dunningSuspendAfterHours: b.dunning_suspend_after_hours,
    dunningTerminateAfterDays: b.dunning_terminate_after_days,
  };
}
