import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity, type ActivityAction } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { cachedImages, cachedRegions, cachedScripts, cachedTypes } from './cache.ts';
import { checkbox, displayOrder, label, stringList } from './input.ts';
import { providerRow } from './providers.ts';

/**
 * What staff allow customers to pick from a provider's cached catalogue, each with the
 * business's own words and order: regions (label, country), categories (white-label names
 * for the provider's plan classes), images, and apps (deploy scripts, with the fields
 * customers may fill). Each is saved whole (insert or update) and recorded in the log.
 */

export interface ProviderChoices {
  regions: Array<{
    id: string;
    label: string;
    country: string;
    displayOrder: number;
    active: boolean;
    cached: boolean;
  }>;
  categories: Array<{ providerClass: string; name: string; displayOrder: number }>;
  images: Array<{ id: string; label: string; displayOrder: number; active: boolean; cached: boolean }>;
  apps: Array<{
    id: string;
    scriptId: string;
    label: string;
    description: string;
    fields: string[];
    displayOrder: number;
    active: boolean;
  }>;
}

/** The provider's current choices (staff). */
export async function providerChoices(db: DbOrTx, actor: Actor, providerId: string): Promise<ProviderChoices> {
  requirePlatformAdmin(actor);
  const p = await providerRow(db, providerId);
  const [regions, categories, images, apps, cRegions, cImages] = await Promise.all([
    db.selectFrom('server_regions').selectAll().where('provider_id', '=', p.id).orderBy('display_order').execute(),
    db.selectFrom('server_categories').selectAll().where('provider_id', '=', p.id).orderBy('display_order').execute(),
    db.selectFrom('server_images').selectAll().where('provider_id', '=', p.id).orderBy('display_order').execute(),
    db.selectFrom('server_apps').selectAll().where('provider_id', '=', p.id).orderBy('display_order').execute(),
    cachedRegions(db, p.id),
    cachedImages(db, p.id),
  ]);
  return {
    regions: regions.map((r) => ({
      id: r.region_id,
      label: r.label,
      country: r.country,
      displayOrder: r.display_order,
      active: r.active,
      cached: cRegions.some((c) => c.id === r.region_id),
    })),
    categories: categories.map((c) => ({
      providerClass: c.provider_class,
      name: c.name,
      displayOrder: c.display_order,
    })),
    images: images.map((i) => ({
      id: i.image_id,
      label: i.label,
      displayOrder: i.display_order,
      active: i.active,
      cached: cImages.some((c) => c.id === i.image_id),
    })),
    apps: apps.map((a) => ({
      id: a.id,
      scriptId: a.script_id,
      label: a.label,
      description: a.description,
      fields: a.fields,
      displayOrder: a.display_order,
      active: a.active,
    })),
  };
}

/** The cached catalogue staff pick from (regions, classes, images, scripts). */
export async function pickable(db: DbOrTx, actor: Actor, providerId: string) {
  requirePlatformAdmin(actor);
  const p = await providerRow(db, providerId);
  const [regions, types, images, scripts] = await Promise.all([
    cachedRegions(db, p.id),
    cachedTypes(db, p.id),
    cachedImages(db, p.id),
    cachedScripts(db, p.id),
  ]);
  return { regions, classes: [...new Set(types.map((t) => t.class))].sort(), images, scripts };
}

async function record(
  db: DbOrTx,
  actor: Actor,
  action: ActivityAction,
  providerId: string,
  now: Date,
  details: Record<string, string | number | boolean | null>,
) {
  await recordActivity(db, {
    action,
    actorUserId: actor.userId,
    target: { type: 'cloud_provider', id: providerId },
    origin: actor.origin,
    occurredAt: now,
    details,
  });
}

const regionInput = z.object({
  region_id: z.string({ error: 'Choose a region.' }).trim().min(1, 'Choose a region.').max(100),
  label: label('label'),
  country: z
    .string({ error: 'Enter the two-letter country code.' })
    .trim()
    .toLowerCase()
    .regex(/^[a-z]{2}$/, 'Enter the two-letter country code, such as de.'),
  display_order: displayOrder,
  active: checkbox,
});

type Writer = Pick<Deps, 'db' | 'clock'>;

/** Allows (or updates) a region: it must be one the provider lists in the cached catalogue. */
export async function saveRegion(deps: Writer, actor: Actor, input: { providerId: string; values: unknown }) {
  requirePlatformAdmin(actor);
  const p = await providerRow(deps.db, input.providerId);
  const v = parseInput(regionInput, input.values);
  const exists = await deps.db
    .selectFrom('server_regions')
    .select('region_id')
    .where('provider_id', '=', p.id)
    .where('region_id', '=', v.region_id)
    .executeTakeFirst();
  if (!exists && !(await cachedRegions(deps.db, p.id)).some((r) => r.id === v.region_id))
    throw new ValidationError({ region_id: 'The provider does not list this region. Refresh the catalogue first.' });
  const now = deps.clock.now();
  const values = { label: v.label, country: v.country, display_order: v.display_order, active: v.active };
  await inTransaction(deps.db, async (trx) => {
    await trx
      .insertInto('server_regions')
      .values({ provider_id: p.id, region_id: v.region_id, ...values })
      .onConflict((oc) => oc.columns(['provider_id', 'region_id']).doUpdateSet(values))
      .execute();
    await record(trx, actor, 'admin.region_saved', p.id, now, { region: v.region_id, name: v.label, active: v.active });
  });
}

const categoryInput = z.object({
  provider_class: z.string({ error: 'Choose a class.' }).trim().min(1, 'Choose a class.').max(60),
  name: label('name', 60),
  display_order: displayOrder,
});

/** Names a provider plan class for customers ("dedicated" → "Dedicated CPU"). */
export async function saveCategory(deps: Writer, actor: Actor, input: { providerId: string; values: unknown }) {
  requirePlatformAdmin(actor);
  const p = await providerRow(deps.db, input.providerId);
  const v = parseInput(categoryInput, input.values);
  const classes = new Set((await cachedTypes(deps.db, p.id)).map((t) => t.class));
  if (!classes.has(v.provider_class))
    throw new ValidationError({ provider_class: 'The provider has no plans of this class.' });
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    // Plans carry their category's name: a renamed category renames it on the provider's plans.
    const before = await trx
      .selectFrom('server_categories')
      .select('name')
      .where('provider_id', '=', p.id)
      .where('provider_class', '=', v.provider_class)
      .forUpdate()
      .executeTakeFirst();
    if (before && before.name !== v.name)
      await trx
        .updateTable('server_plans')
        .set({ category: v.name, updated_at: now })
        .where('provider_id', '=', p.id)
        .where('category', '=', before.name)
        .execute();
    await trx
      .insertInto('server_categories')
      .values({ provider_id: p.id, provider_class: v.provider_class, name: v.name, display_order: v.display_order })
      .onConflict((oc) =>
        oc.columns(['provider_id', 'provider_class']).doUpdateSet({ name: v.name, display_order: v.display_order }),
      )
      .execute();
    await record(trx, actor, 'admin.category_saved', p.id, now, { class: v.provider_class, name: v.name });
  });
}

const imageInput = z.object({
  image_id: z.string({ error: 'Choose an image.' }).trim().min(1, 'Choose an image.').max(200),
  label: label('label'),
  display_order: displayOrder,
  active: checkbox,
});

/** Allows (or updates) an image from the cached catalogue. */
export async function saveImage(deps: Writer, actor: Actor, input: { providerId: string; values: unknown }) {
  requirePlatformAdmin(actor);
  const p = await providerRow(deps.db, input.providerId);
  const v = parseInput(imageInput, input.values);
  const known = await deps.db
    .selectFrom('server_images')
    .select('image_id')
    .where('provider_id', '=', p.id)
    .where('image_id', '=', v.image_id)
    .executeTakeFirst();
  if (!known && !(await cachedImages(deps.db, p.id)).some((i) => i.id === v.image_id))
    throw new ValidationError({ image_id: 'The provider does not list this image. Refresh the catalogue first.' });
  const now = deps.clock.now();
  const values = { label: v.label, display_order: v.display_order, active: v.active };
  await inTransaction(deps.db, async (trx) => {
    await trx
      .insertInto('server_images')
      .values({ provider_id: p.id, image_id: v.image_id, ...values })
      .onConflict((oc) => oc.columns(['provider_id', 'image_id']).doUpdateSet(values))
      .execute();
    await record(trx, actor, 'admin.image_saved', p.id, now, { image: v.image_id, name: v.label, active: v.active });
  });
}

const appInput = z.object({
  script_id: z.string({ error: 'Choose a script.' }).trim().min(1, 'Choose a script.').max(40),
  label: label('label'),
  description: z
    .string()
    .optional()
    .transform((s) => (s ?? '').trim())
    .pipe(z.string().max(500, 'The description must be at most 500 characters.')),
  fields: stringList,
  display_order: displayOrder,
  active: checkbox,
});

/**
 * Allows (or updates) an app: a deploy script from the cached catalogue, with the fields
 * customers may fill. Every other field is never sent, so the script uses its default: a
 * field without a default must therefore be customer-fillable, or every deploy would fail.
 * Nothing of the platform's (tokens, passwords) is ever put into a script's fields.
 */
export async function saveApp(deps: Writer, actor: Actor, input: { providerId: string; values: unknown }) {
  requirePlatformAdmin(actor);
  const p = await providerRow(deps.db, input.providerId);
  const v = parseInput(appInput, input.values);
  const script = (await cachedScripts(deps.db, p.id)).find((s) => s.id === v.script_id);
  if (!script) throw new ValidationError({ script_id: 'The provider does not list this script. Refresh first.' });
  const names = script.fields.map((f) => f.name);
  const unknown = v.fields.filter((f) => !names.includes(f));
  if (unknown.length) throw new ValidationError({ fields: `The script has no field ${unknown.join(', ')}.` });
  const needed = script.fields.filter((f) => f.default == null && !v.fields.includes(f.name)).map((f) => f.label);
  if (needed.length)
    throw new ValidationError({
      fields: `Customers must be able to fill the fields without a default: ${needed.join(', ')}.`,
    });
  const fields = names.filter((n) => v.fields.includes(n));
  const now = deps.clock.now();
  const values = {
    label: v.label,
    description: v.description,
    fields,
    display_order: v.display_order,
    active: v.active,
  };
  await inTransaction(deps.db, async (trx) => {
    await trx
      .insertInto('server_apps')
      .values({ provider_id: p.id, script_id: v.script_id, ...values, created_at: now })
      .onConflict((oc) => oc.columns(['provider_id', 'script_id']).doUpdateSet(values))
      .execute();
    await record(trx, actor, 'admin.app_saved', p.id, now, { script: v.script_id, name: v.label, active: v.active });
  });
}
