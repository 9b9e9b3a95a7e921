import { z } from '@hono/zod-openapi';
import { OrgParams } from '../organizations/schemas.ts';
import { PageQuery } from '../pagination.ts';
import { pathParam, Timestamp } from '../schemas.ts';

const STATUSES = ['pending', 'accepted', 'declined', 'cancelled'] as const;

export const Invitation = z
  .object({
    id: z.uuid(),
    email: z.string().openapi({ format: 'email' }),
    role: z.object({ id: z.uuid(), name: z.string() }),
    status: z.enum(STATUSES).openapi({ description: 'pending until answered or cancelled; see `expired`.' }),
    expired: z
      .boolean()
      .openapi({ description: 'A pending invitation past `expires_at`: it can no longer be accepted.' }),
    invited_by: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    created_at: Timestamp,
    expires_at: Timestamp,
    answered_at: Timestamp.nullable(),
  })
  .openapi('Invitation');

export function presentInvitation(i: {
  id: string;
  email: string;
  role_id: string;
  role_name: string;
  status: (typeof STATUSES)[number];
  expired: boolean;
  invited_by: string | null;
  inviter_name: string | null;
  created_at: Date;
  expires_at: Date;
  answered_at: Date | null;
}): z.infer<typeof Invitation> {
  return Invitation.parse({
    id: i.id,
    email: i.email,
    role: { id: i.role_id, name: i.role_name },
    status: i.status,
    expired: i.expired,
    invited_by: i.invited_by && i.inviter_name ? { id: i.invited_by, name: i.inviter_name } : null,
    created_at: i.created_at.toISOString(),
    expires_at: i.expires_at.toISOString(),
    answered_at: i.answered_at?.toISOString() ?? null,
  });
}

export const InviteRequest = z
  .object({
    email: z.string().openapi({ format: 'email', example: 'kim@example.com' }),
    role_id: z.uuid().openapi({ description: 'A role of this organization you may grant.' }),
  })
  .openapi('InviteRequest');
export const InvitationParams = OrgParams.extend({ invitationId: pathParam('invitationId', 'Invitation id.') });
export const TokenParams = z.object({
  token: z.string().openapi({
    param: { name: 'token', in: 'path' },
    description: 'The token from the emailed link `/invitations/<token>`.',
  }),
});
export const ListQuery = PageQuery.extend({
  status: z.enum(STATUSES).optional().openapi({ description: 'Only invitations with this status; omit for all.' }),
});
