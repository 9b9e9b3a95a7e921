import { z } from '@hono/zod-openapi';
import type { AdminPlan, AdminPlanPrice } from '../../../../../domain/catalogue/admin.ts';
import { toDecimal } from '../../../../../lib/money.ts';
import { Money, pathParam, Timestamp } from '../../schemas.ts';

const Rate = Money.openapi({ example: '0.020548', description: 'Decimal string, 6 decimals.' });

export const PlanPrice = z
  .object({
    effective_from: Timestamp.openapi({ description: 'The clock hour it applies from.' }),
    base_monthly: Money.openapi({ description: 'The provider’s cost.' }),
    markup_monthly: Money,
    backups_monthly: Money.openapi({ description: 'The backups add-on customers pay.' }),
    monthly_price: Money.openapi({ description: 'base + markup.' }),
    hourly_price: Rate,
    with_backups_monthly_price: Money,
    with_backups_hourly_price: Rate,
    currency: z.string().length(3),
  })
  .openapi('PlanPrice');

export const AdminPlanSchema = z
  .object({
    id: z.uuid(),
    provider_id: z.uuid(),
    provider_type: z.string(),
    name: z.string(),
    category: z.string(),
    vcpus: z.number().int(),
    memory_mb: z.number().int(),
    disk_gb: z.number().int(),
    transfer_gb: z.number().int(),
    active: z.boolean(),
    display_order: z.number().int(),
    regions: z.array(z.string()),
    price: PlanPrice.nullable().openapi({ description: 'In force now; null before the first price starts.' }),
  })
  .openapi('AdminPlan');

export const AdminPlanDetail = AdminPlanSchema.extend({
  prices: z.array(PlanPrice).openapi({ description: 'Every price, newest first (upcoming ones included).' }),
}).openapi('AdminPlanDetail');

const money = (what: string) =>
  z.string().openapi({ example: '3.00', description: `${what} per month: a decimal string, at most 6 decimals.` });

export const CreatePlanRequest = z
  .object({
    provider_id: z.string(),
    provider_type: z.string().openapi({ example: 'g6-standard-1', description: 'A type of the cached catalogue.' }),
    name: z.string(),
    category: z.string().openapi({ description: 'One of the provider’s category names.' }),
    markup: money('The markup'),
    backups_price: money('The backups add-on'),
    transfer_gb: z.number().int(),
    regions: z.array(z.string()).openapi({ description: 'Among the provider’s allowed regions.' }),
    active: z.boolean().optional().openapi({ description: 'Default true.' }),
    display_order: z.number().int().optional(),
  })
  .openapi('CreatePlanRequest');

export const UpdatePlanRequest = z
  .object({
    name: z.string().optional(),
    category: z.string().optional(),
    transfer_gb: z.number().int().optional(),
    regions: z.array(z.string()).optional(),
    active: z.boolean().optional(),
    display_order: z.number().int().optional(),
    markup: money('A new markup').optional(),
    backups_price: money('A new backups add-on').optional(),
  })
  .openapi('UpdatePlanRequest');

export const PlanParams = z.object({ id: pathParam('id', 'Plan id.') });

export function presentPrice(p: AdminPlanPrice): z.infer<typeof PlanPrice> {
  return {
    effective_from: p.effectiveFrom.toISOString(),
    base_monthly: toDecimal(p.base, 2),
    markup_monthly: toDecimal(p.markup, 2),
    backups_monthly: toDecimal(p.backups, 2),
    monthly_price: toDecimal(p.monthly, 2),
    hourly_price: toDecimal(p.hourly, 6),
    with_backups_monthly_price: toDecimal(p.withBackupsMonthly, 2),
    with_backups_hourly_price: toDecimal(p.withBackupsHourly, 6),
    currency: p.currency,
  };
}

export function presentAdminPlan(p: AdminPlan): z.infer<typeof AdminPlanSchema> {
  return AdminPlanSchema.parse({
    id: p.id,
    provider_id: p.providerId,
    provider_type: p.providerType,
    name: p.name,
    category: p.category,
    vcpus: p.vcpus,
    memory_mb: p.memoryMb,
    disk_gb: p.diskGb,
    transfer_gb: p.transferGb,
    active: p.active,
    display_order: p.displayOrder,
    regions: p.regions,
    price: p.price ? presentPrice(p.price) : null,
  });
}
