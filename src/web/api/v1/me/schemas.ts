import { z } from '@hono/zod-openapi';
import { Organization } from '../organizations/schemas.ts';
import { Timestamp } from '../schemas.ts';

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

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentUser(u: {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  timezone: string;
  is_admin: boolean;
  email_verified_at: Date | null;
  totp_enabled_at: Date | null;
  active_organization_id: string | null;
  created_at: Date;
}): z.infer<typeof User> {
  return User.parse({
    id: u.id,
    email: u.email,
    name: u.name,
    phone: u.phone,
    timezone: u.timezone,
    is_admin: u.is_admin,
    email_verified_at: iso(u.email_verified_at),
    two_factor_enabled: u.totp_enabled_at !== null,
    active_organization_id: u.active_organization_id,
    created_at: u.created_at.toISOString(),
  });
}

export const Me = z
  .object({
    user: User,
    organizations: z
      .array(Organization)
      .openapi({ description: 'Every organization the caller belongs to, oldest first.' }),
    active_organization: Organization.nullable().openapi({
      description: 'The one the caller last switched to, if any.',
    }),
  })
  .openapi('Me');
