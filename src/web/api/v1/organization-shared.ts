import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Actor } from '../../../domain/access/actor.ts';
import { orgActor } from '../../../domain/access/organization.ts';
import { UnauthenticatedError } from '../../../lib/errors.ts';
import { toDecimal } from '../../../lib/money.ts';
import type { AppDeps } from '../../context.ts';
import { BEARER, requireToken } from './bearer-auth.ts';
import { Money, Timestamp } from './schemas.ts';

/**
 * What the organization, invitation and role routes share: the caller, the organization
 * named by `{id}` (resolved by `orgActor`: not a member → 404; an API key → only its own
 * organization, within its permissions), and the organization shape.
 */

export const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
export const secured = { middleware: [requireToken] as [typeof requireToken], security: [{ [BEARER]: [] as string[] }] };
export const pathParam = (name: string, description: string) => z.string().openapi({ param: { name, in: 'path' }, format: 'uuid', description });
export const OrgParams = z.object({ id: pathParam('id', 'Organization id.') });

/** The authenticated caller (after requireToken). */
export function caller(c: Context): Actor {
  const a = c.var.actor;
  if (!a) throw new UnauthenticatedError();
  return a;
}

/** The caller acting in the organization named by the `{id}` path parameter. */
export const inOrg = (deps: AppDeps, c: Context) => orgActor(deps.db, caller(c), c.req.param('id') ?? '');

export const OrganizationDetail = z
  .object({
    id: z.uuid(),
    name: z.string(),
    personal: z.boolean().openapi({ description: 'Created with the account; its creator cannot leave it.' }),
    website: z.string().nullable(),
    address: z.string().nullable(),
    tax_id: z.string().nullable(),
    role: z.string().openapi({ example: 'owner', description: "The caller's role here." }),
    permissions: z.array(z.string()).openapi({ description: 'What the caller may do here (for an API key: at most the key’s permissions).' }),
    balance: Money.nullable().openapi({ description: 'Prepaid wallet balance; null unless the caller holds `billing_view`.' }),
    currency: z.string().length(3).openapi({ example: 'USD' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('OrganizationDetail');

export function presentOrganizationDetail(o: {
  id: string; name: string; personal: boolean; website: string | null; address: string | null; tax_id: string | null; role: string;
  permissions: readonly string[]; balance: bigint; currency: string; created_at: Date; updated_at: Date;
}): z.infer<typeof OrganizationDetail> {
  return OrganizationDetail.parse({
    id: o.id, name: o.name, personal: o.personal, website: o.website, address: o.address, tax_id: o.tax_id, role: o.role, permissions: [...o.permissions],
    balance: o.permissions.includes('billing_view') ? toDecimal(o.balance, 2) : null, currency: o.currency,
    created_at: o.created_at.toISOString(), updated_at: o.updated_at.toISOString(),
  });
}
