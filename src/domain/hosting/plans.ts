import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseMoney } from '../../lib/money.ts';
import { parseInput } from '../../lib/validation.ts';
import type { EnhancePlan } from '../../providers/enhance/types.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { checkbox, displayOrder, label } from '../catalogue/input.ts';
import { hostingClient, type HostingDeps } from './connector.ts';
import { adminMessage, HOSTING_LOCK, INTEGRATION_TARGET, integrationRow, isConfigured, record } from './integration.ts';

/**
 * Hosting plans (staff only): the panel's plans (GET /orgs/{MO}/plans), synced by their
 * Enhance id, with what staff set here — name, description, monthly retail price (micro-units;
 * none = never sold), active, position. Sync refreshes what the panel owns (resources,
 * allowances, PHP versions…) and never touches what staff set. A plan the panel stops listing
 * is deactivated and stamped `upstream_missing_at`, never deleted: subscriptions (later
 * sessions) reference it. There is no delete: staff deactivate a plan they no longer sell.
 */

export interface HostingResource {
  name: string;
  total: number | null;
}

export interface HostingPlanView {
  id: string;
  masterOrgId: string;
  enhancePlanId: number;
  upstreamName: string;
  name: string;
  description: string;
  /** Micro-units a month; null = not priced (cannot be active). */
  monthlyPrice: bigint | null;
  resources: HostingResource[];
  allowances: string[];
  planType: string;
  phpVersions: string[];
  defaultPhpVersion: string | null;
  allowServerGroupSelection: boolean;
  active: boolean;
  upstreamMissingAt: Date | null;
  /** From another master organization than the one connected now (the demo's, or a previous panel's). */
  otherPanel: boolean;
  position: number;
  syncedAt: Date | null;
  updatedAt: Date;
}

const COLUMNS = [
  'id',
  'master_org_id',
  'enhance_plan_id',
  'upstream_name',
  'name',
  'description',
  'monthly_price',
  'resources',
  'allowances',
  'plan_type',
  'php_versions',
  'default_php_version',
  'allow_server_group_selection',
  'active',
  'upstream_missing_at',
  'position',
  'synced_at',
  'updated_at',
] as const;

type Row = {
  id: string;
  master_org_id: string;
  enhance_plan_id: number;
  upstream_name: string;
  name: string;
  description: string;
  monthly_price: bigint | null;
  resources: HostingResource[];
  allowances: { name: string }[];
  plan_type: string;
  php_versions: string[];
  default_php_version: string | null;
  allow_server_group_selection: boolean;
  active: boolean;
  upstream_missing_at: Date | null;
  position: number;
  synced_at: Date | null;
  updated_at: Date;
};

function view(r: Row, masterOrgId: string | null): HostingPlanView {
  return {
    id: r.id,
    masterOrgId: r.master_org_id,
    enhancePlanId: r.enhance_plan_id,
    upstreamName: r.upstream_name,
    name: r.name,
    description: r.description,
    monthlyPrice: r.monthly_price,
    resources: r.resources,
    allowances: r.allowances.map((a) => a.name),
    planType: r.plan_type,
    phpVersions: r.php_versions,
    defaultPhpVersion: r.default_php_version,
    allowServerGroupSelection: r.allow_server_group_selection,
    active: r.active,
    upstreamMissingAt: r.upstream_missing_at,
    otherPanel: masterOrgId !== null && r.master_org_id !== masterOrgId,
    position: r.position,
    syncedAt: r.synced_at,
    updatedAt: r.updated_at,
  };
}

/** Every plan, in display order (staff). */
export async function listHostingPlans(db: DbOrTx, actor: Actor): Promise<HostingPlanView[]> {
  requirePlatformAdmin(actor);
  const mo = (await integrationRow(db))?.master_org_id ?? null;
  const rows = await db
    .selectFrom('hosting_plans')
    .select(COLUMNS)
    .orderBy('position')
    .orderBy('name')
    .orderBy('enhance_plan_id')
    .execute();
  return rows.map((r) => view(r, mo));
}

export async function getHostingPlan(db: DbOrTx, actor: Actor, planId: string): Promise<HostingPlanView> {
  requirePlatformAdmin(actor);
  if (!isUuid(planId)) throw new NotFoundError('No such hosting plan.');
  const row = await db.selectFrom('hosting_plans').select(COLUMNS).where('id', '=', planId).executeTakeFirst();
  if (!row) throw new NotFoundError('No such hosting plan.');
  return view(row, (await integrationRow(db))?.master_org_id ?? null);
}

export interface SyncResult {
  /** Nothing changed: the panel listed no plans (a wrong account, or a panel being set up). */
  aborted: boolean;
  warning: string | null;
  listed: number;
  added: number;
  updated: number;
  unchanged: number;
  deactivated: number;
}

/** What the panel owns of a plan, as stored. */
function upstream(p: EnhancePlan) {
  return {
    upstream_name: p.name.slice(0, 200),
    resources: p.resources.map((r) => ({ name: r.name, total: r.total ?? null })),
    allowances: p.allowances.map((a) => ({ name: a.name })),
    selections: p.selections.map((s) => ({ name: s.name, value: s.value })),
    plan_type: p.planType,
    php_versions: p.allowedPhpVersions,
    default_php_version: p.defaultPhpVersion,
    allow_server_group_selection: p.allowServerGroupSelection,
  };
}

/**
 * "Sync plans": reads every plan of the master organization and upserts it by its Enhance id.
 * New plans arrive inactive and unpriced, named as on the panel. Known plans get the panel's
 * resources, allowances and PHP versions; their local name, description, price, position and
 * active flag stay. A plan no longer listed is deactivated (upstream_missing_at), never
 * deleted; one listed again is no longer missing but stays inactive until staff activate it.
 * Plans of another master organization (the demo's, a previous panel's) are deactivated too.
 * Zero plans listed: nothing changes, and the result says why. A panel failure throws
 * AppError with the client's message for staff.
 */
export async function syncHostingPlans(deps: HostingDeps, actor: Actor): Promise<SyncResult> {
  requirePlatformAdmin(actor);
  const integration = await integrationRow(deps.db);
  if (!isConfigured(integration))
    throw new AppError('hosting_not_configured', 422, 'Save the connection settings before syncing plans.');
  const mo = integration!.master_org_id!;
  let plans: EnhancePlan[];
  try {
    plans = await hostingClient(deps, integration!).listPlans();
  } catch (err) {
    throw new AppError('hosting_sync_failed', 422, `The plans could not be read: ${adminMessage(err)}`);
  }
  const now = deps.clock.now();
  const result: SyncResult = {
    aborted: false,
    warning: null,
    listed: plans.length,
    added: 0,
    updated: 0,
    unchanged: 0,
    deactivated: 0,
  };
  if (plans.length === 0) {
    await record(deps.db, actor, 'admin.hosting_plans_synced', INTEGRATION_TARGET, now, {
      aborted: true,
      listed: 0,
    });
    return {
      ...result,
      aborted: true,
      warning:
        'The control panel listed no plans, so nothing was changed (no plan was deactivated). Check that the master organization has plans and that the token belongs to it.',
    };
  }
  return inTransaction(deps.db, async (trx) => {
    // One lock for every hosting write (settings, sync, plan edits): they see each other's results.
    await sql`select pg_advisory_xact_lock(${HOSTING_LOCK})`.execute(trx);
    if ((await integrationRow(trx))?.master_org_id !== mo)
      throw new AppError('hosting_sync_failed', 422, 'The connection settings changed during the sync: sync again.');
    Object.assign(result, await applyPlans(trx, mo, plans, now));
    await record(trx, actor, 'admin.hosting_plans_synced', INTEGRATION_TARGET, now, {
      listed: result.listed,
      added: result.added,
      updated: result.updated,
      deactivated: result.deactivated,
    });
    return result;
  });
}

/**
 * Writes the panel's plans (at least one) for master organization `mo`: the upsert, the
 * deactivation of plans no longer listed, and the integration's sync time. In the caller's
 * transaction; the demo seed uses it too.
 */
export async function applyPlans(
  trx: DbOrTx,
  mo: string,
  plans: EnhancePlan[],
  now: Date,
): Promise<Pick<SyncResult, 'added' | 'updated' | 'unchanged' | 'deactivated'>> {
  const counts = { added: 0, updated: 0, unchanged: 0, deactivated: 0 };
  const existing = await trx.selectFrom('hosting_plans').selectAll().execute();
  const byId = new Map(existing.filter((r) => r.master_org_id === mo).map((r) => [r.enhance_plan_id, r]));
  let position = existing.reduce((m, r) => Math.max(m, r.position), 0);
  const seen = new Set<number>();
  for (const p of plans) {
    if (seen.has(p.id)) continue;
    seen.add(p.id);
    const up = upstream(p);
    const row = byId.get(p.id);
    const json = {
      ...up,
      resources: JSON.stringify(up.resources),
      allowances: JSON.stringify(up.allowances),
      selections: JSON.stringify(up.selections),
    };
    if (!row) {
      await trx
        .insertInto('hosting_plans')
        .values({
          master_org_id: mo,
          enhance_plan_id: p.id,
          name: up.upstream_name.slice(0, 80).trim() || `Plan ${p.id}`,
          ...json,
          position: (position = Math.min(10000, position + 1)),
          synced_at: now,
          created_at: now,
          updated_at: now,
        })
        .execute();
      counts.added++;
      continue;
    }
    const changed =
      row.upstream_missing_at !== null ||
      JSON.stringify({
        upstream_name: row.upstream_name,
        resources: row.resources,
        allowances: row.allowances,
        selections: row.selections,
        plan_type: row.plan_type,
        php_versions: row.php_versions,
        default_php_version: row.default_php_version,
        allow_server_group_selection: row.allow_server_group_selection,
      }) !== JSON.stringify(up);
    await trx
      .updateTable('hosting_plans')
      .set({ ...json, upstream_missing_at: null, synced_at: now, ...(changed ? { updated_at: now } : {}) })
      .where('id', '=', row.id)
      .execute();
    if (changed) counts.updated++;
    else counts.unchanged++;
  }
  const gone = existing.filter(
    (r) => (r.master_org_id !== mo || !seen.has(r.enhance_plan_id)) && r.upstream_missing_at === null,
  );
  if (gone.length) {
    await trx
      .updateTable('hosting_plans')
      .set({ active: false, upstream_missing_at: now, updated_at: now })
      .where(
        'id',
        'in',
        gone.map((r) => r.id),
      )
      .execute();
    counts.deactivated = gone.length;
  }
  await trx.updateTable('hosting_integration').set({ plans_synced_at: now }).where('id', '=', 1).execute();
  return counts;
}

/** A monthly price as a decimal (up to 6 decimals); empty = not priced. */
const monthlyPrice = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v, ctx) => {
    const s = v === undefined || v === null ? '' : String(v).trim();
    if (s === '') return null;
    const micros = parseMoney(s, 6);
    if (micros === null || micros < 0n || micros > 1_000_000n * 1_000_000n) {
      ctx.addIssue({
        code: 'custom',
        message: 'Enter the monthly price as an amount such as 5.00 (at most 6 decimals), or leave it empty.',
      });
      return z.NEVER;
    }
    return micros;
  });

const planInput = z.object({
  name: label('name'),
  description: z
    .string()
    .optional()
    .transform((v) => (v ?? '').replace(/\r\n/g, '\n').trim())
    .refine((s) => s.length <= 1000, 'The description must be at most 1000 characters.')
    .refine((s) => !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s), 'The description must be plain text.'),
  monthly_price: monthlyPrice,
  active: checkbox,
  position: displayOrder,
});

/**
 * Staff edit a plan: name, description, monthly price, active, position. Active needs a price
 * and a plan the panel still lists (of the master organization connected now). Audited with
 * the old and new price.
 */
export async function updateHostingPlan(
  deps: Pick<HostingDeps, 'db' | 'clock'>,
  actor: Actor,
  input: { planId: string; values: unknown },
): Promise<HostingPlanView> {
  requirePlatformAdmin(actor);
  const values = parseInput(planInput, input.values);
  if (values.active && values.monthly_price === null)
    throw new ValidationError({ monthly_price: 'Set a monthly price before making the plan active.' });
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${HOSTING_LOCK})`.execute(trx);
    const current = await getHostingPlan(trx, actor, input.planId);
    if (values.active && (current.upstreamMissingAt || current.otherPanel))
      throw new ValidationError({
        active: 'The control panel no longer lists this plan: it cannot be sold. Sync plans if it came back.',
      });
    const row = await trx
      .updateTable('hosting_plans')
      .set({
        name: values.name,
        description: values.description,
        monthly_price: values.monthly_price,
        active: values.active,
        position: values.position,
        updated_at: now,
      })
      .where('id', '=', current.id)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await record(trx, actor, 'admin.hosting_plan_updated', { type: 'hosting_plan', id: row.id }, now, {
      name: row.name,
      enhance_plan_id: row.enhance_plan_id,
      active: row.active,
      monthly_price_before: current.monthlyPrice === null ? null : current.monthlyPrice.toString(),
      monthly_price: row.monthly_price === null ? null : row.monthly_price.toString(),
    });
    return view(row, (await integrationRow(trx))?.master_org_id ?? null);
  });
}
