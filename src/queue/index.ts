import { CompiledQuery, sql } from 'kysely';
import PgBoss from 'pg-boss';
import { z } from 'zod';
import type { DbOrTx } from '../db/index.ts';
import { speedUpScheduleChecks } from './cron.ts';

/** Every queue, with the schema its payload must match. Workers live in `jobs/`. */
export const queues = {
  'email.send': z.object({ emailId: z.uuid() }),
  // The address as typed (lower-cased); the job decides whether it is anyone's (accounts/recovery.ts).
  'accounts.send-password-reset': z.object({ email: z.string().max(254), requestedAt: z.iso.datetime() }),
  'maintenance.purge-expired': z.object({}).passthrough(),
  'billing.issue-statements': z.object({}).passthrough(),
  'billing.reconcile-payments': z.object({}).passthrough(),
  // A server's instance read again until it settles (src/domain/servers/follow.ts); attempt counts the re-reads.
  'servers.follow': z.object({ serverId: z.uuid(), attempt: z.number().int().min(0).max(1000) }),
  'servers.sync': z.object({}).passthrough(),
  'servers.reconcile': z.object({}).passthrough(),
  'catalogue.refresh': z.object({}).passthrough(),
  // One clock hour billed (src/domain/metering/hourly.ts). No hour: the schedule or the catch-up
  // on start, which bill every missed hour up to the current one; runId: a run staff started.
  'billing.hourly': z.object({
    hour: z.iso.datetime().optional(),
    runId: z.uuid().optional(),
    trigger: z.enum(['schedule', 'catch_up', 'admin']).optional(),
  }),
  // Network transfer (src/domain/transfer/engine.ts): the current clock hour's readings and
  // accruals (always the current hour: a reading belongs to the hour it is taken in); the close
  // of every finished month not yet closed (or `month`).
  'transfer.hourly': z.object({ trigger: z.enum(['schedule', 'admin']).optional() }),
  'transfer.close-month': z.object({
    month: z
      .string()
      .regex(/^\d{4}-\d{2}$/)
      .optional(),
    trigger: z.enum(['schedule', 'catch_up', 'admin']).optional(),
  }),
  // Dunning (src/domain/dunning/run.ts): every organization in arrears, or one (a credit may have lifted its case).
  'billing.dunning': z.object({ organizationId: z.uuid().optional() }),
  // Low-balance and runway reminders (src/domain/notifications/reminders.ts).
  'billing.reminders': z.object({}).passthrough(),
  // Web hosting purchases (src/domain/hosting/purchase.ts): sagas a crash left running or
  // compensating are resumed or compensated; with serviceId, that one at once.
  'hosting.sagas': z.object({ serviceId: z.uuid().optional() }),
  // Web hosting billing (src/domain/hosting/billing.ts): renewals that fell due, hosting dunning
  // (notice, suspend, delete) and recovery; with organizationId (a credit was posted), that one at once.
  'hosting.billing': z.object({ organizationId: z.uuid().optional() }),
  // Outbound webhooks (src/domain/webhooks/deliver.ts): with deliveryId, that delivery's first
  // attempt (enqueued with the event, see enqueueWithin); without, every delivery now due.
  'webhooks.deliver': z.object({ deliveryId: z.uuid().optional() }),
} as const;
export type QueueName = keyof typeof queues;
export type Payload<Q extends QueueName> = z.infer<(typeof queues)[Q]>;

/** Schedules (cron, UTC) for recurring queues. */
export const schedules: Partial<Record<QueueName, string>> = {
  'maintenance.purge-expired': '*/15 * * * *',
  'billing.issue-statements': '15 0 1 * *',
  'billing.reconcile-payments': '30 3 * * *',
  'servers.sync': '* * * * *',
  'servers.reconcile': '40 * * * *',
  'catalogue.refresh': '10 */6 * * *',
  'billing.hourly': '5 * * * *',
  'billing.reminders': '25 * * * *',
  'billing.dunning': '*/5 * * * *',
  'transfer.hourly': '7 * * * *',
  'transfer.close-month': '20 0 1 * *',
  'hosting.sagas': '* * * * *',
  'hosting.billing': '*/5 * * * *',
  'webhooks.deliver': '* * * * *',
};

export interface JobQueue {
  /** Enqueues inside `db` (a transaction when given one): the job exists only if it commits. */
  enqueue<Q extends QueueName>(
    db: DbOrTx,
    name: Q,
    data: Payload<Q>,
    options?: PgBoss.SendOptions,
  ): Promise<string | null>;
}

/**
 * Enqueues inside `db` for domain code that is handed only the transaction of its change (no
 * JobQueue: e.g. a webhook event emitted from recordActivity): the job row pg-boss's `send`
 * writes, with the queue's own retry and expiry policy, so the job exists only if the change
 * commits. A queue that does not exist yet gets no job (the queue's schedule still finds the
 * work). Keep in step with pg-boss 10's insertJob (node_modules/pg-boss/src/plans.js).
 */
export async function enqueueWithin<Q extends QueueName>(db: DbOrTx, name: Q, data: Payload<Q>): Promise<void> {
  const parsed = queues[name].parse(data);
  await sql`
    insert into pgboss.job (name, data, priority, start_after, expire_in, keep_until, retry_limit, retry_delay, retry_backoff, policy, dead_letter)
    select q.name, ${JSON.stringify(parsed)}::jsonb, 0, now(),
      coalesce(q.expire_seconds * interval '1s', interval '15 minutes'),
      now() + coalesce(q.retention_minutes * interval '1 minute', interval '14 days'),
      coalesce(q.retry_limit, 2),
      case when coalesce(q.retry_backoff, false) then greatest(coalesce(q.retry_delay, 0), 1) else coalesce(q.retry_delay, 0) end,
      coalesce(q.retry_backoff, false), q.policy, q.dead_letter
    from pgboss.queue q where q.name = ${name}
  `.execute(db);
}

/** Lets pg-boss write its job row through a Kysely connection or transaction. */
export function kyselyExecutor(db: DbOrTx): PgBoss.Db {
  return {
    executeSql: async (text, values) => {
      const res = await db.executeQuery(CompiledQuery.raw(text, values));
      return { rows: res.rows as unknown[] as never[] };
    },
  };
}

export function createBoss(connectionString: string, opts: { schedule: boolean; supervise: boolean }): PgBoss {
  // Its schedule check every 30 s without cron-parser's cost (src/queue/cron.ts).
  if (opts.schedule) speedUpScheduleChecks();
  return new PgBoss({
    connectionString,
    schema: 'pgboss',
    max: 4,
    application_name: 'skypanel-jobs',
    schedule: opts.schedule,
    supervise: opts.supervise,
  });
}

/** Creates every queue that does not exist yet (pg-boss 10 requires queues up front). */
export async function createQueues(boss: PgBoss): Promise<void> {
  // One read of the existing queues (not one per queue): at most starts they all exist.
  const existing = new Set((await boss.getQueues()).map((q) => q.name));
  for (const name of Object.keys(queues)) {
    if (!existing.has(name)) await boss.createQueue(name, { name, retryLimit: 5, retryDelay: 30, retryBackoff: true });
  }
}

export function bossQueue(boss: PgBoss): JobQueue {
  return {
    async enqueue(db, name, data, options) {
      const parsed = queues[name].parse(data);
      return boss.send(name, parsed as object, { ...options, db: kyselyExecutor(db) });
    },
  };
}
