import { z } from '@hono/zod-openapi';
import type { CloudAddress, CloudBackup, CloudBackups } from '../../../../providers/cloud.ts';
import { SERVER_STATUSES } from '../../../../domain/servers/status.ts';
import type { ActionView, ServerView } from '../../../../domain/servers/view.ts';
import { toDecimal } from '../../../../lib/money.ts';
import { Money, Timestamp } from '../schemas.ts';

/** Hourly prices are fractions of a cent: all 6 decimals unless whole cents. */
export const exact = (m: bigint) => toDecimal(m, m % 10_000n === 0n ? 2 : 6);

export const Instance = z
  .object({
    id: z.uuid(),
    label: z.string(),
    status: z.enum(SERVER_STATUSES).openapi({
      description:
        '`provisioning`, `booting`, `running`, `shutting_down`, `offline`, `rebooting`, `rebuilding`, `resizing`, `deleting`, `deleted`, `suspended` (the wallet ran out; customers cannot boot it) or `failed` (the create was refused; the first charge was returned).',
    }),
    region: z.string().openapi({ example: 'us-east', description: 'A region id of GET /regions.' }),
    region_label: z.string(),
    plan: z.object({ id: z.uuid(), name: z.string(), category: z.string() }),
    vcpus: z.number().int(),
    memory_mb: z.number().int(),
    disk_gb: z.number().int(),
    transfer_gb: z.number().int(),
    image: z.string().openapi({ example: 'debian12', description: 'An image id of GET /images.' }),
    image_label: z.string(),
    app_id: z.uuid().nullable(),
    ipv4: z.array(z.string()),
    ipv6: z.string().nullable(),
    backups: z.boolean(),
    private_ip: z.boolean(),
    hourly_price: Money.openapi({ example: '0.020548', description: 'Charged per started hour.' }),
    monthly_price: Money.openapi({ example: '15.00', description: 'The most it costs in a calendar month.' }),
    currency: z.string().length(3),
    failure_reason: z.string().nullable(),
    created_at: Timestamp,
    deleted_at: Timestamp.nullable(),
  })
  .openapi('Instance');

export function presentInstance(s: ServerView): z.infer<typeof Instance> {
  return Instance.parse({
    id: s.id,
    label: s.label,
    status: s.status,
    region: s.region,
    region_label: s.regionLabel,
    plan: { id: s.plan.id, name: s.plan.name, category: s.plan.category },
    vcpus: s.plan.vcpus,
    memory_mb: s.plan.memoryMb,
    disk_gb: s.plan.diskGb,
    transfer_gb: s.plan.transferGb,
    image: s.image,
    image_label: s.imageLabel,
    app_id: s.appId,
    ipv4: s.ipv4,
    ipv6: s.ipv6,
    backups: s.backupsEnabled,
    private_ip: s.privateIp,
    hourly_price: exact(s.hourlyPrice),
    monthly_price: toDecimal(s.monthlyPrice, 2),
    currency: s.currency,
    failure_reason: s.failureReason,
    created_at: s.createdAt.toISOString(),
    deleted_at: s.deletedAt?.toISOString() ?? null,
  });
}

export const InstanceCreated = Instance.extend({
  root_password: z.string().optional().openapi({
    description: 'Only when you sent none: the generated root password, this once. It is never stored.',
  }),
}).openapi('InstanceCreated');

export const CreateBody = z
  .object({
    label: z.string().openapi({
      example: 'web-1',
      description: '1–64 letters, digits, dots, dashes or underscores; unique in the organization.',
    }),
    region: z.string().openapi({ example: 'us-east' }),
    plan_id: z.string().openapi({ format: 'uuid', description: 'A plan of GET /plans sold in `region`.' }),
    image: z.string().openapi({ example: 'debian12' }),
    root_password: z
      .string()
      .optional()
      .openapi({ description: '11–128 characters, strong. Omit to have one generated and returned once.' }),
    ssh_key_ids: z.array(z.string()).optional().openapi({ description: 'Ids of the organization’s SSH keys.' }),
    backups: z.boolean().optional(),
    private_ip: z.boolean().optional(),
    app_id: z.string().optional().openapi({ format: 'uuid', description: 'An app of GET /apps.' }),
    app_data: z.record(z.string(), z.string()).optional().openapi({ description: 'The app’s fields, by name.' }),
  })
  .openapi('InstanceCreate');

export const PatchBody = z.object({ label: z.string() }).openapi('InstanceUpdate');

export const InstanceQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ description: '1–100, default 25.' }),
  cursor: z.string().max(64).optional(),
  q: z.string().max(100).optional().openapi({ description: 'Part of the label or an IPv4 address.' }),
  status: z
    .enum(SERVER_STATUSES)
    .optional()
    .openapi({ description: 'Only this status (deleted ones only when asked).' }),
  region: z.string().max(64).optional(),
});

export const Action = z
  .object({
    id: z.uuid(),
    type: z.string().openapi({ example: 'reboot' }),
    status: z.enum(['pending', 'running', 'completed', 'failed']),
    created_at: Timestamp,
    finished_at: Timestamp.nullable(),
    error: z.string().nullable(),
    root_password: z
      .string()
      .optional()
      .openapi({ description: 'A generated root password (rebuild, reset_password without one), this once.' }),
  })
  .openapi('InstanceAction');

export function presentAction(a: ActionView, password?: string | null): z.infer<typeof Action> {
  return Action.parse({
    id: a.id,
    type: a.type,
    status: a.status,
    created_at: a.createdAt.toISOString(),
    finished_at: a.finishedAt?.toISOString() ?? null,
    error: a.error,
    ...(password ? { root_password: password } : {}),
  });
}

const password = z.string().optional().openapi({ description: 'Omit to have one generated and returned once.' });
export const ActionBody = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('boot') }),
    z.object({ type: z.literal('shutdown') }),
    z.object({ type: z.literal('reboot') }),
    z.object({
      type: z.literal('rebuild'),
      image: z.string(),
      root_password: password,
      ssh_key_ids: z.array(z.string()).optional(),
      app_id: z.string().optional(),
      app_data: z.record(z.string(), z.string()).optional(),
    }),
    z.object({ type: z.literal('resize'), plan_id: z.string().openapi({ format: 'uuid' }) }),
    z.object({ type: z.literal('reset_password'), root_password: password }),
  ])
  .openapi('InstanceActionCreate', {
    description:
      'A rebuild never changes the plan; a resize takes a plan sold in the instance’s region; reset_password only while `offline`.',
  });

export const Backup = z
  .object({
    id: z.string(),
    label: z.string().nullable(),
    kind: z.enum(['automatic', 'snapshot']),
    status: z.string(),
    available: z.boolean(),
    created_at: Timestamp,
    finished_at: Timestamp.nullable(),
  })
  .openapi('Backup');

export const Backups = z
  .object({
    enabled: z.boolean(),
    automatic: z.array(Backup),
    snapshot: z.object({ current: Backup.nullable(), in_progress: Backup.nullable() }),
  })
  .openapi('Backups');

const presentBackup = (b: CloudBackup) => ({
  id: b.id,
  label: b.label,
  kind: b.kind,
  status: b.status,
  available: b.available,
  created_at: b.created.toISOString(),
  finished_at: b.finished?.toISOString() ?? null,
});

export function presentBackups(b: CloudBackups & { enabled: boolean }): z.infer<typeof Backups> {
  return Backups.parse({
    enabled: b.enabled,
    automatic: b.automatic.map(presentBackup),
    snapshot: {
      current: b.snapshot.current && presentBackup(b.snapshot.current),
      in_progress: b.snapshot.inProgress && presentBackup(b.snapshot.inProgress),
    },
  });
}

export const Address = z
  .object({
    address: z.string(),
    type: z.enum(['ipv4', 'ipv6']),
    public: z.boolean(),
    rdns: z.string().nullable().openapi({ description: 'The reverse DNS name; null: the default.' }),
  })
  .openapi('Address');

export const presentAddress = (a: CloudAddress, rdns: string | null): z.infer<typeof Address> =>
  Address.parse({ address: a.address, type: a.type, public: a.public, rdns });

export const ScheduleBody = z.object({
  day: z.string().nullable().optional().openapi({ example: 'Monday', description: 'Sunday…Saturday; null: any day.' }),
  window: z
    .string()
    .nullable()
    .optional()
    .openapi({ example: 'W4', description: 'W0, W2 … W22 (two-hour UTC windows); null: any.' }),
});
export const SnapshotBody = z.object({ label: z.string() });
export const RestoreBody = z.object({ backup_id: z.string() });
export const ReverseDnsBody = z.object({
  address: z.string().openapi({ example: '203.0.113.10' }),
  name: z
    .string()
    .nullable()
    .openapi({ example: 'mail.example.com', description: 'Must resolve to the address; null resets it.' }),
});

export const Deleted = z
  .object({
    id: z.uuid(),
    status: z.literal('deleted'),
    refunded: Money.openapi({ description: 'The unused whole minutes of the current hour, back in the wallet.' }),
    currency: z.string().length(3),
  })
  .openapi('InstanceDeleted');

export const Renamed = z.object({ id: z.uuid(), label: z.string() }).openapi('InstanceRenamed');
