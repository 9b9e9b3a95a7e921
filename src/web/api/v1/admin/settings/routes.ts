import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { getBillingSettings } from '../../../../../domain/settings/billing.ts';
import {
  getPlatformSettings,
  MAX_MESSAGE_LENGTH,
  updatePlatformSettings,
  type PlatformSettings,
} from '../../../../../domain/settings/platform.ts';
import { serverSettings } from '../../../../../domain/settings/servers.ts';
import { THEMES, type ThemeId } from '../../../../../domain/settings/themes.ts';
import { ValidationError } from '../../../../../lib/errors.ts';
import { toDecimal } from '../../../../../lib/money.ts';
import type { AppDeps } from '../../../../context.ts';
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

export const PlatformSettingsResponse = z
  .object({
    maintenance: Maintenance,
    registration_enabled: z.boolean().openapi({
      description:
        'Off: registration is refused (`registration_closed`) except for addresses with a pending invitation.',
    }),
    default_theme: ThemeName,
    billing: z
      .object({
        currency: z.string().openapi({ example: 'USD' }),
        top_up_min: Money,
        top_up_max: Money,
        low_balance_threshold: Money.openapi({ description: 'Read-only here: `LOW_BALANCE_THRESHOLD`.' }),
        dunning_suspend_after_hours: z.int().openapi({ description: 'Read-only here: `DUNNING_SUSPEND_AFTER_HOURS`.' }),
        dunning_terminate_after_days: z
          .int()
          .openapi({ description: 'Read-only here: `DUNNING_TERMINATE_AFTER_DAYS`.' }),
      })
      .openapi({
        description: 'Read-only here: top-up limits are changed at /admin/billing, the rest by environment.',
      }),
    servers: z
      .object({ sales_enabled: z.boolean(), rdns_base_domain: z.string().nullable() })
      .openapi({ description: 'Read-only here: changed at /admin/server-settings.' }),
    brand_name: z.string().openapi({ description: 'Read-only: `BRAND_NAME`.' }),
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
};

/**
 * Platform settings for staff (as /admin/platform-settings): maintenance mode and the
 * registration switch, changed with PATCH (only the fields sent); GET adds the billing and
 * server settings and the brand, read-only here.
 */
export function adminSettingsRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const present = async (s: PlatformSettings) => {
    const billing = await getBillingSettings(deps.db);
    const servers = await serverSettings(deps.db);
    return PlatformSettingsResponse.parse({
      maintenance: {
        enabled: s.maintenance.enabled,
        message: s.maintenance.message,
        planned_end: s.maintenance.plannedEnd?.toISOString() ?? null,
      },
      registration_enabled: s.registrationEnabled,
      default_theme: s.defaultTheme,
      billing: {
        currency: deps.config.BILLING_CURRENCY,
        top_up_min: toDecimal(billing.topUpMin),
        top_up_max: toDecimal(billing.topUpMax),
        low_balance_threshold: toDecimal(deps.config.lowBalanceThreshold),
        dunning_suspend_after_hours: deps.config.DUNNING_SUSPEND_AFTER_HOURS,
        dunning_terminate_after_days: deps.config.DUNNING_TERMINATE_AFTER_DAYS,
      },
      servers: { sales_enabled: servers.salesEnabled, rdns_base_domain: servers.rdnsBaseDomain },
      brand_name: deps.config.BRAND_NAME,
    });
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/settings',
      tags,
      operationId: 'adminGetSettings',
      summary: 'The platform settings: maintenance mode, registration, and (read-only) billing and server settings',
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
        'Turn maintenance mode on or off (with its message and planned end), open or close registration, set the default colour theme',
      description:
        'Only the fields sent change. While maintenance is on, every write by customers’ access tokens and API keys (and in the browser) answers 503 `maintenance` with `Retry-After`; platform admins’ own tokens keep working. Audited as `admin.settings_updated` with what changed.',
      ...staff,
      request: { body: { required: true, ...json(PlatformSettingsPatch) } },
      responses: {
        200: { description: 'The settings as saved.', ...json(PlatformSettingsResponse) },
        ...errorResponses([400, 401, 403, 413, 415, 422, 429], {
          ...REFUSED,
          422: '`validation_failed`: `maintenance.message` (too long), `maintenance.planned_end` (not in the future), or an unknown field.',
        }),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const m = body.maintenance ?? {};
      try {
        const saved = await updatePlatformSettings(deps, caller(c), {
          maintenanceEnabled: m.enabled,
          maintenanceMessage: m.message,
          maintenancePlannedEnd:
            m.planned_end === undefined ? undefined : m.planned_end === null ? null : new Date(m.planned_end),
          registrationEnabled: body.registration_enabled,
          defaultTheme: body.default_theme,
        });
        return c.json(await present(saved), 200);
      } catch (err) {
        if (err instanceof ValidationError && err.fields)
          throw new ValidationError(
            Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [FIELD_NAMES[k] ?? k, v])),
            err.message,
          );
        throw err;
      }
    },
  );

  return app;
}
