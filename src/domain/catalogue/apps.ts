import type { DbOrTx } from '../../db/index.ts';
import { isUuid } from '../../lib/ids.ts';
import type { CloudScript } from '../../providers/cloud.ts';
import { cachedScriptsById } from './cache.ts';

/**
 * The apps customers may pick (deploy scripts, Linode StackScripts) with the fields they may
 * fill, read from the allow-list and the cached scripts; and the one check of what a customer
 * typed into them (`appDataFor`). Re-exported by offer.ts.
 */

/** A field of an app's deploy script that customers may fill. */
export interface AppField {
  name: string;
  label: string;
  example: string | null;
  /** What the script uses when the field is left empty; null: none, so the field is required. */
  default: string | null;
  /** Pick exactly one of these. */
  oneOf: string[] | null;
  /** Pick any of these (sent comma-separated). */
  manyOf: string[] | null;
  required: boolean;
}

export interface OfferedApp {
  id: string;
  providerId: string;
  scriptId: string;
  label: string;
  description: string;
  /** Images the script runs on (empty: the script was not in the cached catalogue, so unknown). */
  images: string[];
  /** Only the customer-fillable fields, from the cached script. */
  fields: AppField[];
}

const choices = (s: string | null | undefined): string[] | null => {
  const list = (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  return list.length ? list : null;
};

function appOf(
  row: { id: string; provider_id: string; script_id: string; label: string; description: string; fields: string[] },
  script: CloudScript | undefined,
): OfferedApp {
  const fields: AppField[] = row.fields.map((name) => {
    const f = script?.fields.find((x) => x.name === name);
    // A field the cache does not know (script not refreshed yet): free text, optional.
    if (!f) return { name, label: name, example: null, default: null, oneOf: null, manyOf: null, required: false };
    const dflt = f.default ?? null;
    return {
      name,
      label: f.label,
      example: f.example ?? null,
      default: dflt,
      oneOf: choices(f.oneOf),
      manyOf: choices(f.manyOf),
      required: dflt === null,
    };
  });
  return {
    id: row.id,
    providerId: row.provider_id,
    scriptId: row.script_id,
    label: row.label,
    description: row.description,
    images: script?.images ?? [],
    fields,
  };
}

async function apps(db: DbOrTx, appId?: string): Promise<OfferedApp[]> {
  let q = db
    .selectFrom('server_apps as a')
    .innerJoin('cloud_providers as p', 'p.id', 'a.provider_id')
    .select(['a.id', 'a.provider_id', 'a.script_id', 'a.label', 'a.description', 'a.fields'])
    .where('p.active', '=', true)
    .where('a.active', '=', true);
  if (appId !== undefined) q = q.where('a.id', '=', appId);
  const rows = await q.orderBy('p.display_order').orderBy('a.display_order').orderBy('a.label').execute();
  const scripts = await cachedScriptsById(
    db,
    rows.map((r) => ({ providerId: r.provider_id, scriptId: r.script_id })),
  );
  return rows.map((r) => appOf(r, scripts.get(`${r.provider_id}:${r.script_id}`)));
}

/** Apps (deploy scripts) customers may pick: active ones of active providers, in display order. */
export async function offeredApps(db: DbOrTx): Promise<OfferedApp[]> {
  return apps(db);
}

/** One offered app; null when unknown, inactive, or its provider is inactive. */
export async function offeredApp(db: DbOrTx, appId: string): Promise<OfferedApp | null> {
  if (!isUuid(appId)) return null;
  const [app] = await apps(db, appId);
  return app ?? null;
}

const MAX_FIELD_LENGTH = 1000;

/**
 * Validates customer UDF input against the app's fields: unknown names refused, oneOf/manyOf
 * enforced, required ones present; returns the data to send (fields the customer may not fill
 * are never sent, so they get the script's defaults). Errors are keyed by field name.
 */
export function appDataFor(
  app: OfferedApp,
  input: Record<string, string>,
): { data: Record<string, string> } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const data: Record<string, string> = {};
  for (const name of Object.keys(input)) {
    if (!app.fields.some((f) => f.name === name)) errors[name] = `${app.label} has no field "${name}" you can set.`;
  }
  for (const field of app.fields) {
    const raw = input[field.name];
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (value === '') {
      if (field.required) errors[field.name] = `Enter ${field.label.toLowerCase()}.`;
      continue;
    }
    if (value.length > MAX_FIELD_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) {
      errors[field.name] = `${field.label} must be one line of at most ${MAX_FIELD_LENGTH} characters.`;
    } else if (field.oneOf && !field.oneOf.includes(value)) {
      errors[field.name] = `${field.label} must be one of: ${field.oneOf.join(', ')}.`;
    } else if (field.manyOf) {
      const picked = value.split(',').map((x) => x.trim());
      if (picked.some((x) => !field.manyOf!.includes(x)) || new Set(picked).size !== picked.length)
        errors[field.name] = `${field.label} must be made of: ${field.manyOf.join(', ')}.`;
      else data[field.name] = picked.join(',');
    } else {
      data[field.name] = value;
    }
  }
  return Object.keys(errors).length ? { errors } : { data };
}
