import { z } from '@hono/zod-openapi';
import { toDecimal } from '../../../lib/money.ts';

/**
 * Shared API shapes and the presenters that fill them. Conventions for every endpoint:
 * snake_case fields; money as decimal strings in major units beside a `currency`;
 * timestamps ISO 8601 UTC (`…Z`); a single object is returned as itself; a list as
 * `listOf(item)`; every error as `ErrorEnvelope`. Presenters parse their output with the
 * schema, so the OpenAPI document and the bytes sent cannot drift apart.
 */

export const Timestamp = z.iso.datetime().openapi({ example: '2026-01-31T09:30:00.000Z', description: 'ISO 8601, UTC.' });
export const Money = z.string().regex(/^-?\d+\.\d{2,6}$/).openapi({ example: '12.50', description: 'Decimal string in major units of `currency`; never a float.' });

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed', description: 'Stable, machine-readable; branch on this.' }),
      message: z.string().openapi({ example: 'Please correct the highlighted fields.', description: 'For people; may change.' }),
      fields: z.record(z.string(), z.string()).optional().openapi({ example: { email: 'Enter a valid email address.' }, description: 'On 422: one message per bad field.' }),
    }),
  })
  .openapi('ErrorEnvelope');

const errorDescriptions = {
  400: 'Malformed request (e.g. the body is not valid JSON): `invalid_json`.',
  401: 'No live access token: `unauthenticated`.',
  403: 'Signed in, but not allowed.',
  404: 'No such resource (or not visible to you): `not_found`.',
  409: 'Conflicts with the current state.',
  413: 'Request body too large: `payload_too_large`.',
  415: 'Send `Content-Type: application/json`: `unsupported_media_type`.',
  422: 'Validation failed: `validation_failed`, with `fields`.',
  429: 'Rate limited: `rate_limited`. Wait `Retry-After` seconds.',
  503: 'Temporarily unavailable; try again later.',
} as const;
type ErrorStatus = keyof typeof errorDescriptions;

const retryAfter = { 'Retry-After': { description: 'Seconds until the limit resets.', schema: { type: 'integer' as const } } };

/** OpenAPI `responses` entries for error statuses, each the ErrorEnvelope; merge into a route's responses. */
export function errorResponses<S extends ErrorStatus>(statuses: S[], overrides: Partial<Record<S, string>> = {}) {
  const out = {} as Record<S, { description: string; content: { 'application/json': { schema: typeof ErrorEnvelope } }; headers?: typeof retryAfter }>;
  for (const s of statuses) {
    out[s] = { description: overrides[s] ?? errorDescriptions[s], content: { 'application/json': { schema: ErrorEnvelope } } };
    if (s === 429) out[s].headers = retryAfter;
  }
  return out;
}

/** `{ data, has_more, next_cursor }` around `item`: the shape of every list endpoint. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    has_more: z.boolean(),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  });
}

/** Query parameters of every list endpoint. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ description: '1–100, default 25.' }),
  cursor: z.string().max(200).optional(),
});

/** Builds a list page from up to `limit + 1` rows fetched in order (the extra row only signals `has_more`). */
export function page<R, T>(rows: R[], limit: number, present: (row: R) => T, cursorOf: (row: R) => string) {
  const has_more = rows.length > limit;
  const kept = rows.slice(0, limit);
  return { data: kept.map(present), has_more, next_cursor: has_more && kept.length ? cursorOf(kept[kept.length - 1]!) : null };
}

export const User = z
  .object({
    id: z.uuid(),
    email: z.string().openapi({ format: 'email' }),
    name: z.string(),
    phone: z.string().nullable(),
    timezone: z.string().openapi({ example: 'Europe/London' }),
    is_admin: z.boolean(),
    email_verified_at: Timestamp.nullable(),
    two_factor_enabled: z.boolean(),
    active_organization_id: z.uuid().nullable(),
    created_at: Timestamp,
  })
  .openapi('User');

export const Organization = z
  .object({
    id: z.uuid(),
    name: z.string(),
    personal: z.boolean().openapi({ description: 'Created with the account; cannot be left.' }),
    role: z.string().openapi({ example: 'owner', description: "The caller's role in this organization." }),
    permissions: z.array(z.string()),
    balance: Money.nullable().openapi({ description: 'Prepaid wallet balance; null unless the caller holds billing_view there.', example: '0.00' }),
    currency: z.string().length(3).openapi({ example: 'USD' }),
    created_at: Timestamp,
  })
  .openapi('Organization');

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentUser(u: {
  id: string; email: string; name: string; phone: string | null; timezone: string; is_admin: boolean;
  email_verified_at: Date | null; totp_enabled_at: Date | null; active_organization_id: string | null; created_at: Date;
}): z.infer<typeof User> {
  return User.parse({
    id: u.id, email: u.email, name: u.name, phone: u.phone, timezone: u.timezone, is_admin: u.is_admin,
    email_verified_at: iso(u.email_verified_at), two_factor_enabled: u.totp_enabled_at !== null,
    active_organization_id: u.active_organization_id, created_at: u.created_at.toISOString(),
  });
}

/** From a `userOrganizations()` row. Every organization has exactly one wallet. */
export function presentOrganization(o: {
  id: string; name: string; personal: boolean; role: string; permissions: string[]; balance: bigint | null; currency: string | null; created_at: Date;
}): z.infer<typeof Organization> {
  if (o.balance === null || o.currency === null) throw new Error(`organization ${o.id} has no wallet`);
  return Organization.parse({
    id: o.id, name: o.name, personal: o.personal, role: o.role, permissions: o.permissions,
    balance: o.permissions.includes('billing_view') ? toDecimal(o.balance, 2) : null, currency: o.currency, created_at: o.created_at.toISOString(),
  });
}
