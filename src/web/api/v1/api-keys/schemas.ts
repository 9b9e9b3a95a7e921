import { z } from '@hono/zod-openapi';
import { createApiKeyInput, type ApiKeyRow } from '../../../../domain/api-keys/keys.ts';
import { Timestamp } from '../schemas.ts';

export const ApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z
      .string()
      .openapi({ example: 'spk_Ab3dE9xQ', description: 'The first characters of the key, to recognise it.' }),
    organization_id: z.uuid().openapi({ description: 'The only organization the key acts in.' }),
    organization_name: z.string(),
    permissions: z
      .array(z.string())
      .openapi({ description: 'At most these; on each request, only those its owner still holds there.' }),
    created_at: Timestamp,
    expires_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable().openapi({ description: 'Updated at most once a minute.' }),
  })
  .openapi('ApiKey');
export const CreatedApiKey = ApiKey.extend({
  key: z.string().openapi({
    example: 'spk_…',
    description: 'The secret. Returned only here, once; send it as `Authorization: Bearer <key>`.',
  }),
}).openapi('CreatedApiKey');
export const CreateApiKeyRequest = createApiKeyInput
  .extend({
    organization_id: z.string().openapi({ format: 'uuid', description: 'One of your organizations.' }),
    permissions: createApiKeyInput.shape.permissions.meta({
      description: 'A subset of your permissions in that organization.',
      example: ['vps_view'],
    }),
    expires_at: createApiKeyInput.shape.expires_at.meta({
      description: 'Optional. A date-time, or a date (the key works through that day, UTC).',
    }),
  })
  .openapi('CreateApiKeyRequest');
export const KeyParams = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, format: 'uuid', description: 'API key id.' }),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);
export function presentApiKey(k: ApiKeyRow): z.infer<typeof ApiKey> {
  return ApiKey.parse({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    organization_id: k.organization_id,
    organization_name: k.organization_name,
    permissions: k.permissions,
    created_at: k.created_at.toISOString(),
    expires_at: iso(k.expires_at),
    last_used_at: iso(k.last_used_at),
  });
}
