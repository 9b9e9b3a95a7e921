import { z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../../../../domain/access/permissions.ts';
import { OrgParams } from '../organizations/schemas.ts';
import { pathParam, Timestamp } from '../schemas.ts';

const Permission = z.enum(PERMISSIONS).openapi('Permission');

export const Role = z
  .object({
    id: z.uuid(),
    name: z.string(),
    predefined: z.boolean().openapi({ description: 'Seeded with the organization; read-only.' }),
    permissions: z.array(Permission),
    members: z.number().int().openapi({ description: 'How many members hold this role.' }),
    created_at: Timestamp,
  })
  .openapi('Role');

export function presentRole(r: {
  id: string;
  name: string;
  predefined: boolean;
  permissions: string[];
  members: number;
  created_at: Date;
}): z.infer<typeof Role> {
  return Role.parse({
    id: r.id,
    name: r.name,
    predefined: r.predefined,
    permissions: r.permissions,
    members: r.members,
    created_at: r.created_at.toISOString(),
  });
}

export const CreateRoleRequest = z
  .object({
    name: z
      .string()
      .openapi({ example: 'billing clerk', description: '1 to 50 characters; not a predefined role’s name.' }),
    permissions: z.array(Permission).openapi({ description: 'Only permissions you hold yourself.' }),
  })
  .openapi('CreateRoleRequest');
export const UpdateRoleRequest = z
  .object({ name: z.string().optional(), permissions: z.array(Permission).optional() })
  .openapi('UpdateRoleRequest');
export const RoleParams = OrgParams.extend({ roleId: pathParam('roleId', 'Role id.') });
