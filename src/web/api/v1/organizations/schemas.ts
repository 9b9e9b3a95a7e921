import { z } from '@hono/zod-openapi';
import { toDecimal } from '../../../../lib/money.ts';
import { Money, pathParam, Timestamp } from '../schemas.ts';

/** The `{id}` of every /organizations/{id}/… route (the caller acts there: `inOrg`). */
export const OrgParams = z.object({ id: pathParam('id', 'Organization id.') });

/** An organization as a member sees it in lists (GET /me, registration). */
export const Organization = z
  .object({
    id: z.uuid(),
    name: z.string(),
    personal: z.boolean().openapi({ description: 'Created with the account; cannot be left.' }),
    role: z.string().openapi({ example: 'owner', description: "The caller's role in this organization." }),
    permissions: z.array(z.string()),
    balance: Money.nullable().openapi({
      description: 'Prepaid wallet balance; null unless the caller holds billing_view there.',
      example: '0.00',
    }),
    currency: z.string().length(3).openapi({ example: 'USD' }),
    created_at: Timestamp,
  })
  .openapi('Organization');

/** From a `userOrganizations()` row. Every organization has exactly one wallet. */
export function presentOrganization(o: {
  id: string;
  name: string;
  personal: boolean;
  role: string;
  permissions: string[];
  balance: bigint | null;
  currency: string | null;
  created_at: Date;
}): z.infer<typeof Organization> {
  if (o.balance === null || o.currency === null) throw new Error(`organization ${o.id} has no wallet`);
  return Organization.parse({
    id: o.id,
    name: o.name,
    personal: o.personal,
    role: o.role,
    permissions: o.permissions,
    balance: o.permissions.includes('billing_view') ? toDecimal(o.balance, 2) : null,
    currency: o.currency,
    created_at: o.created_at.toISOString(),
  });
}

/** One organization in full, with the caller's role and permissions there. */
export const OrganizationDetail = z
  .object({
    id: z.uuid(),
    name: z.string(),
    personal: z.boolean().openapi({ description: 'Created with the account; its creator cannot leave it.' }),
    website: z.string().nullable(),
    address: z.string().nullable(),
    tax_id: z.string().nullable(),
    role: z.string().openapi({ example: 'owner', description: "The caller's role here." }),
    permissions: z
      .array(z.string())
      .openapi({ description: 'What the caller may do here (for an API key: at most the key’s permissions).' }),
    balance: Money.nullable().openapi({
      description: 'Prepaid wallet balance; null unless the caller holds `billing_view`.',
    }),
    currency: z.string().length(3).openapi({ example: 'USD' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('OrganizationDetail');

export function presentOrganizationDetail(o: {
  id: string;
  name: string;
  personal: boolean;
  website: string | null;
  address: string | null;
  tax_id: string | null;
  role: string;
  permissions: readonly string[];
  balance: bigint;
  currency: string;
  created_at: Date;
  updated_at: Date;
}): z.infer<typeof OrganizationDetail> {
  return OrganizationDetail.parse({
    id: o.id,
    name: o.name,
    personal: o.personal,
    website: o.website,
    address: o.address,
    tax_id: o.tax_id,
    role: o.role,
    permissions: [...o.permissions],
    balance: o.permissions.includes('billing_view') ? toDecimal(o.balance, 2) : null,
    currency: o.currency,
    created_at: o.created_at.toISOString(),
    updated_at: o.updated_at.toISOString(),
  });
}

export const CreateOrganizationRequest = z
  .object({ name: z.string().openapi({ example: 'Acme Hosting', description: '1 to 100 characters.' }) })
  .openapi('CreateOrganizationRequest');
export const UpdateOrganizationRequest = z
  .object({
    name: z.string().optional(),
    website: z.string().nullable().optional().openapi({ description: 'http(s) URL; empty or null clears it.' }),
    address: z.string().nullable().optional(),
    tax_id: z.string().nullable().optional(),
  })
  .openapi('UpdateOrganizationRequest');
