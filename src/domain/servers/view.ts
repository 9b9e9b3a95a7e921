import { sql, type Selectable } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { publish } from '../../db/notify.ts';
import type { ServerActionsTable, ServerActionType, ServerStatus } from '../../db/types.ts';
import { hourlyRate } from '../metering/rates.ts';

/**
 * A server as customers (pages and API) and staff see it, and what the realtime stream says
 * when its status changes.
 *
 * Prices are the customer's: the plan's price in force now (DB clock) with the backups add-on
 * when backups are on; after a resize or a backups change they are what the server is billed
 * from the next clock hour on.
 */
export interface ServerView {
  id: string;
  organizationId: string;
  label: string;
  status: ServerStatus;
  /** The provider's own word (staff pages); null before the provider answered. */
  providerStatus: string | null;
  region: string;
  regionLabel: string;
  plan: {
    id: string;
    name: string;
    category: string;
    vcpus: number;
    memoryMb: number;
    diskGb: number;
    transferGb: number;
  };
  image: string;
  imageLabel: string;
  appId: string | null;
  ipv4: string[];
  ipv6: string | null;
  backupsEnabled: boolean;
  privateIp: boolean;
  hourlyPrice: bigint;
  monthlyPrice: bigint;
  currency: string;
  /** Why a create failed, in white-label words for the customer. */
  failureReason: string | null;
  suspended: boolean;
  createdAt: Date;
  deletedAt: Date | null;
}

/** A server action (the API's `actions`): pending (asked) → running (the provider accepted it) → completed | failed. */
export interface ActionView {
  id: string;
  type: ServerActionType;
  status: 'pending' | 'running' | 'completed' | 'failed';
  /** White-label: what the customer is told when it failed. */
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/**
 * The realtime event a status change (and a rename) publishes (src/db/notify.ts), to the
 * members of the server's organization who may see its servers (vps_view) and to platform staff:
 *
 *   topic: 'server.status'
 *   data:  { id: string (server id), status: ServerStatus, label: string }
 *
 * SSE delivers it as `event: server.status` with the data as JSON. It is a hint: pages fetch
 * the row (through the actor's organization) rather than trust the payload.
 */
export const SERVER_STATUS_TOPIC = 'server.status';
export interface ServerStatusEvent {
  id: string;
  status: ServerStatus;
  label: string;
}

export async function publishServerStatus(
  db: DbOrTx,
  server: { id: string; organization_id: string; status: ServerStatus; label: string },
): Promise<void> {
  const data: ServerStatusEvent = { id: server.id, status: server.status, label: server.label };
  await publish(db, {
    topic: SERVER_STATUS_TOPIC,
    audience: { organizationId: server.organization_id, permission: 'vps_view' },
    data: { ...data },
  });
  await publish(db, { topic: SERVER_STATUS_TOPIC, audience: { admins: true }, data: { ...data } });
}

/** The rows views are made of: a server with its plan, region and image labels, and the price in force now. */
export function serverRows(db: DbOrTx) {
  return db
    .selectFrom('servers as s')
    .innerJoin('server_plans as p', 'p.id', 's.plan_id')
    .leftJoin('server_regions as r', (j) =>
      j.onRef('r.provider_id', '=', 's.provider_id').onRef('r.region_id', '=', 's.region'),
    )
    .leftJoin('server_images as i', (j) =>
      j.onRef('i.provider_id', '=', 's.provider_id').onRef('i.image_id', '=', 's.image'),
    )
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('server_plan_prices as pp')
          .select(['pp.base_monthly', 'pp.markup_monthly', 'pp.backups_monthly', 'pp.currency'])
          .whereRef('pp.plan_id', '=', 's.plan_id')
          .where('pp.effective_from', '<=', sql<Date>`now()`)
          .orderBy('pp.effective_from', 'desc')
          .limit(1)
          .as('pr'),
      (j) => j.onTrue(),
    )
    .select([
      's.id',
      's.organization_id',
      's.provider_id',
      's.provider_instance_id',
      's.label',
      's.status',
      's.provider_status',
      's.region',
      's.image',
      's.app_id',
      's.ipv4',
      's.ipv6',
      's.backups_enabled',
      's.private_ip',
      's.failure_reason',
      's.suspended_at',
      's.created_at',
      's.deleted_at',
      's.deleted_reason',
      's.created_by',
      's.plan_id',
      'p.name as plan_name',
      'p.category as plan_category',
      'p.vcpus',
      'p.memory_mb',
      'p.disk_gb',
      'p.transfer_gb',
      'r.label as region_label',
      'i.label as image_label',
      'pr.base_monthly',
      'pr.markup_monthly',
      'pr.backups_monthly',
      'pr.currency',
    ]);
}

export type ServerRow = Awaited<ReturnType<ReturnType<typeof serverRows>['executeTakeFirstOrThrow']>>;

/** The customer's monthly price of a server on this price row, with backups when on. */
export function monthlyOf(row: {
  base_monthly: bigint | null;
  markup_monthly: bigint | null;
  backups_monthly: bigint | null;
  backups_enabled: boolean;
}): bigint {
  if (row.base_monthly === null) return 0n;
  return row.base_monthly + (row.markup_monthly ?? 0n) + (row.backups_enabled ? (row.backups_monthly ?? 0n) : 0n);
}

export function toServerView(row: ServerRow): ServerView {
  const monthly = monthlyOf(row);
  return {
    id: row.id,
    organizationId: row.organization_id,
    label: row.label,
    status: row.status,
    providerStatus: row.provider_status,
    region: row.region,
    regionLabel: row.region_label ?? row.region,
    plan: {
      id: row.plan_id,
      name: row.plan_name,
      category: row.plan_category,
      vcpus: row.vcpus,
      memoryMb: row.memory_mb,
      diskGb: row.disk_gb,
      transferGb: row.transfer_gb,
    },
    image: row.image,
    imageLabel: row.image_label ?? row.image,
    appId: row.app_id,
    ipv4: row.ipv4,
    ipv6: row.ipv6,
    backupsEnabled: row.backups_enabled,
    privateIp: row.private_ip,
    hourlyPrice: hourlyRate(monthly),
    monthlyPrice: monthly,
    currency: row.currency ?? 'USD',
    failureReason: row.failure_reason,
    suspended: row.status === 'suspended',
    createdAt: row.created_at,
    deletedAt: row.deleted_at,
  };
}

export function toActionView(row: Selectable<ServerActionsTable>): ActionView {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    error: row.error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}
