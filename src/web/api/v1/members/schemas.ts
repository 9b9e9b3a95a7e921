import { z } from '@hono/zod-openapi';
import { OrgParams } from '../organizations/schemas.ts';
import { pathParam, Timestamp } from '../schemas.ts';

export const Member = z
  .object({
    user_id: z.uuid(),
    name: z.string(),
    email: z.string().openapi({ format: 'email' }),
    role: z.object({ id: z.uuid(), name: z.string(), predefined: z.boolean() }),
    joined_at: Timestamp,
  })
  .openapi('Member');

export function presentMember(m: {
  user_id: string;
  name: string;
  email: string;
  role_id: string;
  role_name: string;
  role_predefined: boolean;
  joined_at: Date;
}): z.infer<typeof Member> {
  return Member.parse({
    user_id: m.user_id,
    name: m.name,
    email: m.email,
    role: { id: m.role_id, name: m.role_name, predefined: m.role_predefined },
    joined_at: m.joined_at.toISOString(),
  });
}

export const ChangeRoleRequest = z
  .object({ role_id: z.uuid().openapi({ description: 'A role of this organization you may grant.' }) })
  .openapi('ChangeRoleRequest');
export const MemberParams = OrgParams.extend({ userId: pathParam('userId', 'The member’s user id.') });
