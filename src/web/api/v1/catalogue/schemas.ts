import { z } from '@hono/zod-openapi';
import type { OfferedApp, OfferedImage, OfferedPlan, OfferedRegion } from '../../../../domain/catalogue/offer.ts';
import { toDecimal } from '../../../../lib/money.ts';
import { Money } from '../schemas.ts';

/** Hourly rates keep 6 decimals (they are exact micro-units); monthly prices 2. */
const Rate = Money.openapi({ example: '0.020548', description: 'Decimal string, 6 decimals; never a float.' });

export const Region = z
  .object({
    id: z.string().openapi({ example: 'eu-central', description: 'What a server create’s `region` takes.' }),
    label: z.string().openapi({ example: 'Europe (Frankfurt)' }),
    country: z.string().length(2).openapi({ example: 'de', description: 'ISO 3166-1 alpha-2, lower case.' }),
  })
  .openapi('Region');

export const Plan = z
  .object({
    id: z.uuid().openapi({ description: 'What a server create’s `plan_id` takes.' }),
    name: z.string().openapi({ example: 'Shared 2 GB' }),
    category: z.string().openapi({ example: 'Shared CPU' }),
    vcpus: z.number().int(),
    memory_mb: z.number().int(),
    disk_gb: z.number().int(),
    transfer_gb: z.number().int().openapi({ description: 'Included transfer per month, pooled per organization.' }),
    hourly_price: Rate.openapi({ description: 'Charged per started clock hour: the monthly price / 730.' }),
    monthly_price: Money.openapi({ description: 'The most a server of this plan costs in a calendar month.' }),
    backups_monthly_price: Money.openapi({ description: 'Added to the monthly price while backups are on.' }),
    currency: z.string().length(3),
    regions: z.array(z.string()).openapi({ description: 'Region ids where it is sold.' }),
  })
  .openapi('Plan');

export const Image = z
  .object({
    id: z.string().openapi({ example: 'debian12', description: 'What a server create’s `image` takes.' }),
    label: z.string().openapi({ example: 'Debian 12' }),
    vendor: z.string().nullable().openapi({ example: 'Debian' }),
  })
  .openapi('Image');

export const AppField = z
  .object({
    name: z.string().openapi({ description: 'The key in a create’s `app_data`.' }),
    label: z.string(),
    example: z.string().nullable(),
    default: z.string().nullable().openapi({ description: 'Used when the field is left out; null: required.' }),
    one_of: z.array(z.string()).nullable().openapi({ description: 'Pick exactly one of these.' }),
    many_of: z.array(z.string()).nullable().openapi({ description: 'Pick any of these, comma-separated.' }),
    required: z.boolean(),
  })
  .openapi('AppField');

export const App = z
  .object({
    id: z.uuid().openapi({ description: 'What a server create’s `app_id` takes.' }),
    label: z.string().openapi({ example: 'WordPress' }),
    description: z.string(),
    images: z.array(z.string()).openapi({ description: 'Image ids it runs on (empty: not known yet).' }),
    fields: z.array(AppField).openapi({ description: 'What the customer may fill; nothing else is accepted.' }),
  })
  .openapi('App');

/** A whole list in one answer (the catalogue is short): the list shape, never a second page. */
export const whole = <T>(data: T[]) => ({ data, has_more: false, next_cursor: null });

export const presentRegion = (r: OfferedRegion): z.infer<typeof Region> =>
  Region.parse({ id: r.id, label: r.label, country: r.country });

export const presentPlan = (p: OfferedPlan): z.infer<typeof Plan> =>
  Plan.parse({
    id: p.id,
    name: p.name,
    category: p.category,
    vcpus: p.vcpus,
    memory_mb: p.memoryMb,
    disk_gb: p.diskGb,
    transfer_gb: p.transferGb,
    hourly_price: toDecimal(p.price.hourly, 6),
    monthly_price: toDecimal(p.price.monthly, 2),
    backups_monthly_price: toDecimal(p.price.backupsMonthly, 2),
    currency: p.price.currency,
    regions: p.regions,
  });

export const presentImage = (i: OfferedImage): z.infer<typeof Image> =>
  Image.parse({ id: i.id, label: i.label, vendor: i.vendor });

export const presentApp = (a: OfferedApp): z.infer<typeof App> =>
  App.parse({
    id: a.id,
    label: a.label,
    description: a.description,
    images: a.images,
    fields: a.fields.map((f) => ({
      name: f.name,
      label: f.label,
      example: f.example,
      default: f.default,
      one_of: f.oneOf,
      many_of: f.manyOf,
      required: f.required,
    })),
  });
