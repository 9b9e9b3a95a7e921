import { z } from '@hono/zod-openapi';
import type { ProviderView } from '../../../../../domain/catalogue/providers.ts';
import { pathParam, Timestamp } from '../../schemas.ts';

export const Provider = z
  .object({
    id: z.uuid(),
    kind: z.enum(['linode']),
    name: z.string(),
    emulated: z.boolean().openapi({ description: 'The demo provider: the built-in emulator, no real servers.' }),
    base_url: z.string().nullable().openapi({ description: 'Null: the provider’s public API.' }),
    token_set: z.boolean().openapi({ description: 'Whether an API token is stored. The token is never returned.' }),
    active: z.boolean(),
    display_order: z.number().int(),
    health: z.enum(['unknown', 'ok', 'error']),
    health_message: z.string().nullable().openapi({ description: 'What the last validation said when it failed.' }),
    account_label: z.string().nullable(),
    validated_at: Timestamp.nullable(),
    catalogue_refreshed_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .openapi('Provider');

export const CreateProviderRequest = z
  .object({
    name: z.string().openapi({ example: 'Linode main account' }),
    kind: z.enum(['linode']).optional().openapi({ description: 'Default linode.' }),
    token: z.string().openapi({ description: 'The provider’s API token; stored encrypted, never returned.' }),
    base_url: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'https URL of a proxy; omit for the public API.' }),
    active: z.boolean().optional().openapi({ description: 'Default true.' }),
    display_order: z.number().int().optional(),
  })
  .openapi('CreateProviderRequest');

export const UpdateProviderRequest = z
  .object({
    name: z.string().optional(),
    token: z.string().optional().openapi({ description: 'A new token replaces the stored one (health resets).' }),
    base_url: z.string().nullable().optional(),
    active: z.boolean().optional(),
    display_order: z.number().int().optional(),
  })
  .openapi('UpdateProviderRequest');

export const RefreshSummary = z
  .object({
    types: z.number().int(),
    regions: z.number().int(),
    images: z.number().int(),
    scripts: z.number().int(),
    removed: z.number().int().openapi({ description: 'Cached entries the provider no longer lists, removed.' }),
  })
  .openapi('CatalogueRefresh');

export const ProviderParams = z.object({ id: pathParam('id', 'Provider id.') });

export function presentProvider(p: ProviderView): z.infer<typeof Provider> {
  return Provider.parse({
    id: p.id,
    kind: p.kind,
    name: p.name,
    emulated: p.emulated,
    base_url: p.baseUrl,
    token_set: p.tokenSet,
    active: p.active,
    display_order: p.displayOrder,
    health: p.health,
    health_message: p.healthMessage,
    account_label: p.accountLabel,
    validated_at: p.validatedAt?.toISOString() ?? null,
    catalogue_refreshed_at: p.catalogueRefreshedAt?.toISOString() ?? null,
    created_at: p.createdAt.toISOString(),
  });
}
