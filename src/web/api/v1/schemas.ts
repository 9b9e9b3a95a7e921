import { z } from '@hono/zod-openapi';

/**
 * Shapes every endpoint shares. Conventions for every endpoint: snake_case fields; money as
 * decimal strings in major units beside a `currency`; timestamps ISO 8601 UTC (`…Z`); a single
 * object is returned as itself; a list as `listOf(item)` (pagination.ts); every error as
 * `ErrorEnvelope`. Each resource keeps its own shapes and the presenters that fill them in
 * `<resource>/schemas.ts`; presenters parse their output with the schema, so the OpenAPI
 * document and the bytes sent cannot drift apart.
 */

export const Timestamp = z.iso
  .datetime()
  .openapi({ example: '2026-01-31T09:30:00.000Z', description: 'ISO 8601, UTC.' });
export const Money = z
  .string()
  .regex(/^-?\d+\.\d{2,6}$/)
  .openapi({ example: '12.50', description: 'Decimal string in major units of `currency`; never a float.' });

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z
        .string()
        .openapi({ example: 'validation_failed', description: 'Stable, machine-readable; branch on this.' }),
      message: z
        .string()
        .openapi({ example: 'Please correct the highlighted fields.', description: 'For people; may change.' }),
      fields: z
        .record(z.string(), z.string())
        .optional()
        .openapi({
          example: { email: 'Enter a valid email address.' },
          description: 'On 422: one message per bad field.',
        }),
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

const retryAfter = {
  'Retry-After': { description: 'Seconds until the limit resets.', schema: { type: 'integer' as const } },
};

/** OpenAPI `responses` entries for error statuses, each the ErrorEnvelope; merge into a route's responses. */
export function errorResponses<S extends ErrorStatus>(statuses: S[], overrides: Partial<Record<S, string>> = {}) {
  const out = {} as Record<
    S,
    {
      description: string;
      content: { 'application/json': { schema: typeof ErrorEnvelope } };
      headers?: typeof retryAfter;
    }
  >;
  for (const s of statuses) {
    out[s] = {
      description: overrides[s] ?? errorDescriptions[s],
      content: { 'application/json': { schema: ErrorEnvelope } },
    };
    if (s === 429) out[s].headers = retryAfter;
  }
  return out;
}

/** A JSON request or response body of `schema`, for `createRoute`. */
export const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

/** A uuid path parameter `{name}`. */
export const pathParam = (name: string, description: string) =>
  z.string().openapi({ param: { name, in: 'path' }, format: 'uuid', description });
