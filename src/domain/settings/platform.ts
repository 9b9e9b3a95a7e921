import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { hashToken } from '../../lib/crypto.ts';
import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { AppError, ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { getSetting, putSetting, withDefaults } from './store.ts';
import { DEFAULT_THEME, isTheme, THEME_MESSAGE, type ThemeId } from './themes.ts';

/**
 * Platform settings (`platform_settings` key `platform`): maintenance mode, the
 * registration switch, the default theme and whether webhooks may go to loopback (development). Stored as JSON (`{"maintenanceEnabled":true,"maintenanceMessage":"…",
 * "maintenancePlannedEnd":"2026-12-07T02:00:00.000Z","registrationEnabled":false}`).
 *
 * Read on every unsafe request (src/web/middleware/maintenance.ts), so it is kept per process in
 * the data cache under the `catalogue` scope: the `platform_settings` trigger (migration 0021)
 * NOTIFYs `catalogue` on every write, whichever process or person made it.
 */
export interface MaintenanceSettings {
  /** On: every customer write is refused with 503 (pages and API); reads, sign-in and staff go on. */
  enabled: boolean;
  /** What customers read on the maintenance page and in the API's error envelope. */
  message: string;
  /** When staff expect to be done (shown, and sent as `Retry-After`); null: not said. */
  plannedEnd: Date | null;
}

export interface PlatformSettings {
  maintenance: MaintenanceSettings;
  /** Off: /register and POST /api/v1/auth/register refuse, except for an address with a pending invitation. */
  registrationEnabled: boolean;
  /** The colour preset (domain/settings/themes.ts) for visitors and for people who keep "platform default". */
  defaultTheme: ThemeId;
  /**
   * Development only: webhooks may be sent over http or https to 127.0.0.0/8 and ::1
   * (src/lib/outbound-http.ts). Off (the default), only public https addresses are reached.
   */
  webhookLoopbackAllowed: boolean;
}

export const DEFAULT_MAINTENANCE_MESSAGE =
  'We are carrying out planned maintenance. You can look around, but changes are paused until we are done.';

export const MAX_MESSAGE_LENGTH = 1000;

const STORED_DEFAULTS = {
  maintenanceEnabled: false,
  maintenanceMessage: DEFAULT_MAINTENANCE_MESSAGE,
  maintenancePlannedEnd: null as string | null,
  registrationEnabled: true,
  defaultTheme: DEFAULT_THEME as string,
  webhookLoopbackAllowed: false,
};

const bool = (v: unknown): v is boolean => typeof v === 'boolean';
const isoDate = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** The platform settings, defaults filled in (no maintenance, registration open). */
export async function getPlatformSettings(db: DbOrTx, opts: { cache?: DataCache } = {}): Promise<PlatformSettings> {
  // Platform settings are catalogue data: kept until the catalogue changes (src/lib/data-cache.ts).
  if (opts.cache) return opts.cache.read('platform-settings', [CATALOGUE], () => getPlatformSettings(db));
  const s = withDefaults(
    await getSetting(db, 'platform'),
    { ...STORED_DEFAULTS },
    {
      maintenanceEnabled: bool,
      maintenanceMessage: (v): v is string =>
        typeof v === 'string' && v.trim().length > 0 && v.length <= MAX_MESSAGE_LENGTH,
      maintenancePlannedEnd: (v): v is string | null => v === null || isoDate(v),
      registrationEnabled: bool,
      defaultTheme: isTheme,
      webhookLoopbackAllowed: bool,
    },
  );
  return {
    maintenance: {
      enabled: s.maintenanceEnabled,
      message: s.maintenanceMessage,
      plannedEnd: s.maintenancePlannedEnd ? new Date(s.maintenancePlannedEnd) : null,
    },
    registrationEnabled: s.registrationEnabled,
    defaultTheme: isTheme(s.defaultTheme) ? s.defaultTheme : DEFAULT_THEME,
    webhookLoopbackAllowed: s.webhookLoopbackAllowed,
  };
}

/**
 * Whether an admin allowed webhooks to loopback addresses (development only); false by default.
 * Read fresh (no cache) by the webhook pages, API and sender, so a change applies at once.
 */
export async function webhookLoopbackAllowed(db: DbOrTx): Promise<boolean> {
  return (await getPlatformSettings(db)).webhookLoopbackAllowed;
}

/** Seconds a refused caller should wait: until the planned end (at least a minute), else five minutes. */
export function retryAfterSeconds(m: MaintenanceSettings, now: Date): number {
  if (!m.plannedEnd) return 300;
  return Math.max(60, Math.ceil((m.plannedEnd.getTime() - now.getTime()) / 1000));
}

/** A change to the platform settings: only the fields given change (the API's PATCH; the form sends all). */
export interface PlatformSettingsChange {
  maintenanceEnabled?: boolean;
  maintenanceMessage?: string;
  /** null: no planned end. */
  maintenancePlannedEnd?: Date | null;
  registrationEnabled?: boolean;
  defaultTheme?: ThemeId;
  webhookLoopbackAllowed?: boolean;
}

const checkbox = z
  .union([z.boolean(), z.string()])
  .optional()
  .transform((v) => v === true || v === 'on' || v === 'true' || v === '1');

const message = z
  .string()
  .optional()
  .transform((v) => (v ?? '').replace(/\r\n/g, '\n').trim())
  .refine((v) => v.length <= MAX_MESSAGE_LENGTH, `Use at most ${MAX_MESSAGE_LENGTH} characters.`);

/**
 * The admin form's fields (views/admin/platform-settings/_form.eta): checkboxes, the message
 * (empty: the default text) and the planned end as `YYYY-MM-DDTHH:MM` in UTC (empty: none).
 */
export const platformSettingsForm = z.object({
  maintenanceEnabled: checkbox,
  maintenanceMessage: message,
  maintenancePlannedEnd: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? '').trim();
      if (s === '') return null;
      const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?$/.exec(s);
      const d = m ? new Date(`${m[1]}T${m[2]}${m[3] ?? ':00'}Z`) : null;
      if (!d || Number.isNaN(d.getTime())) {
        ctx.addIssue({
          code: 'custom',
          message: 'Enter a date and time such as 2026-12-24 18:00 (UTC), or leave it empty.',
        });
        return z.NEVER;
      }
      return d;
    }),
  registrationEnabled: checkbox,
  /** Absent: unchanged (older forms and scripts); otherwise one of the presets. */
  defaultTheme: z
    .string()
    .optional()
    .refine((v) => v === undefined || isTheme(v), THEME_MESSAGE)
    .transform((v) => v as ThemeId | undefined),
  webhookLoopbackAllowed: checkbox,
});

/** Reads the admin form into a whole change (every field). */
export function parsePlatformSettingsForm(values: Record<string, string>): PlatformSettingsChange {
  const input = parseInput(platformSettingsForm, values);
  return { ...input, maintenanceMessage: input.maintenanceMessage || DEFAULT_MAINTENANCE_MESSAGE };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Staff change maintenance mode and the registration switch; audited as
 * `admin.settings_updated` with the fields that changed (before and after). A planned end
 * that changed must lie ahead. Returns the saved settings.
 */
export async function updatePlatformSettings(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  change: PlatformSettingsChange,
): Promise<PlatformSettings> {
  requirePlatformAdmin(actor);
  const now = deps.clock.now();
  if (change.maintenanceMessage !== undefined) {
    const m = change.maintenanceMessage.trim();
    if (m.length > MAX_MESSAGE_LENGTH)
      throw new ValidationError({ maintenanceMessage: `Use at most ${MAX_MESSAGE_LENGTH} characters.` });
    change = { ...change, maintenanceMessage: m || DEFAULT_MAINTENANCE_MESSAGE };
  }
  if (change.defaultTheme !== undefined && !isTheme(change.defaultTheme))
    throw new ValidationError({ defaultTheme: THEME_MESSAGE });
  return inTransaction(deps.db, async (trx) => {
    const before = await getPlatformSettings(trx);
    const next = {
      maintenanceEnabled: change.maintenanceEnabled ?? before.maintenance.enabled,
      maintenanceMessage: change.maintenanceMessage ?? before.maintenance.message,
      maintenancePlannedEnd:
        change.maintenancePlannedEnd === undefined
          ? iso(before.maintenance.plannedEnd)
          : iso(change.maintenancePlannedEnd),
      registrationEnabled: change.registrationEnabled ?? before.registrationEnabled,
      defaultTheme: change.defaultTheme ?? before.defaultTheme,
      webhookLoopbackAllowed: change.webhookLoopbackAllowed ?? before.webhookLoopbackAllowed,
    };
    const old = {
      maintenanceEnabled: before.maintenance.enabled,
      maintenanceMessage: before.maintenance.message,
      maintenancePlannedEnd: iso(before.maintenance.plannedEnd),
      registrationEnabled: before.registrationEnabled,
      defaultTheme: before.defaultTheme,
      webhookLoopbackAllowed: before.webhookLoopbackAllowed,
    };
    if (
      next.maintenancePlannedEnd !== old.maintenancePlannedEnd &&
      next.maintenancePlannedEnd !== null &&
      new Date(next.maintenancePlannedEnd) <= now
    )
      throw new ValidationError({ maintenancePlannedEnd: 'The planned end must be in the future.' });
    const names: Record<keyof typeof next, string> = {
      maintenanceEnabled: 'maintenance_enabled',
      maintenanceMessage: 'maintenance_message',
      maintenancePlannedEnd: 'maintenance_planned_end',
      registrationEnabled: 'registration_enabled',
      defaultTheme: 'default_theme',
      webhookLoopbackAllowed: 'webhook_loopback_allowed',
    };
    // Only what changed, each with its value before: `{ changed: "maintenance_enabled", maintenance_enabled: true, maintenance_enabled_before: false }`.
    const changed: string[] = [];
    const details: Record<string, string | boolean | null> = { setting: 'platform' };
    for (const k of Object.keys(next) as (keyof typeof next)[])
      if (next[k] !== old[k]) {
        changed.push(names[k]);
        details[names[k]] = next[k];
        details[`${names[k]}_before`] = old[k];
      }
    if (changed.length) {
      await putSetting(trx, 'platform', { ...next }, actor.userId, now);
      await recordActivity(trx, {
        action: 'admin.settings_updated',
        actorUserId: actor.userId,
        origin: actor.origin,
        occurredAt: now,
        details: { ...details, changed: changed.join(', ') },
      });
    }
    return {
      maintenance: {
        enabled: next.maintenanceEnabled,
        message: next.maintenanceMessage,
        plannedEnd: next.maintenancePlannedEnd ? new Date(next.maintenancePlannedEnd) : null,
      },
      registrationEnabled: next.registrationEnabled,
      defaultTheme: next.defaultTheme,
      webhookLoopbackAllowed: next.webhookLoopbackAllowed,
    };
  });
}

/** Registration is closed (403 `registration_closed`): pages show the closed page, the API the envelope. */
export class RegistrationClosedError extends AppError {
  constructor() {
    super(
      'registration_closed',
      403,
      'Registration is closed: new accounts cannot be created at the moment. If you were invited to an organization, sign up with the address the invitation was sent to.',
    );
  }
}

/** Whether `email` has a pending, unexpired invitation to an organization (it may sign up while registration is closed). */
export async function hasPendingInvitation(db: DbOrTx, email: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('invitations')
    .select('id')
    .where('email', '=', email.trim().toLowerCase())
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The address a pending, unexpired invitation was sent to, from its emailed token (the
 * registration page offers its form to an invitee while registration is closed); null otherwise.
 */
export async function invitedEmail(db: DbOrTx, token: string, now: Date): Promise<string | null> {
  if (!token || token.length > 200) return null;
  const row = await db
    .selectFrom('invitations')
    .select('email')
    .where('token_hash', '=', hashToken(token))
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row?.email ?? null;
}

/**
 * Refuses a sign-up while registration is closed, unless the address was invited (an
 * invitation's sign-up still works). Called by `register` for sign-ups from a request.
 */
export async function assertRegistrationOpen(
  deps: Pick<Deps, 'db' | 'clock'> & { cache?: DataCache },
  email: string,
): Promise<void> {
  const s = await getPlatformSettings(deps.db, { cache: deps.cache });
  if (s.registrationEnabled) return;
  if (await hasPendingInvitation(deps.db, email, deps.clock.now())) return;
  throw new RegistrationClosedError();
}
