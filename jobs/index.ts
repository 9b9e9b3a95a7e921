import { queues, schedules, type QueueName } from '../src/queue/index.ts';
import type { Services } from '../src/services.ts';
import { billHourJob } from './bill-hour.ts';
import { billingRemindersJob } from './billing-reminders.ts';
import { dunningJob } from './dunning.ts';
import { hostingBillingJob } from './hosting-billing.ts';
import { hostingSagasJob } from './hosting-sagas.ts';
import { issueStatementsJob } from './issue-statements.ts';
import { purgeExpiredJob } from './purge-expired.ts';
import { reconcilePaymentsJob } from './reconcile-payments.ts';
import { reconcileServersJob } from './reconcile-servers.ts';
import { refreshCatalogueJob } from './refresh-catalogue.ts';
import { sendPasswordResetJob } from './send-password-reset.ts';
import { sendEmailJob } from './send-email.ts';
import { followServerJob, syncServersJob } from './sync-servers.ts';
import { transferCloseMonthJob } from './transfer-close-month.ts';
import { transferHourlyJob } from './transfer-hourly.ts';
import { webhooksDeliverJob } from './webhooks-deliver.ts';

/** Registers a worker for every queue and the cron schedules. Handlers stay thin. */
export async function registerJobs(deps: Services): Promise<void> {
  const { boss } = deps;
  // The schedules are read first: each worker below fetches at once on pg-boss's small pool, and
  // a read queued behind twenty fetches measured ~100 ms of every start.
  const scheduled = scheduleAll(boss);
  // Hours missed while no worker ran are billed now, not at the next schedule; months that ended
  // while no worker ran are closed now. Sent through the app's pool beside the rest, one after
  // the other (together, they would have the pool open a second connection for the second).
  const caughtUp = (async () => {
    await deps.queue.enqueue(deps.db, 'billing.hourly', { trigger: 'catch_up' }, { singletonKey: 'billing.catch-up' });
    await deps.queue.enqueue(
      deps.db,
      'transfer.close-month',
      { trigger: 'catch_up' },
      { singletonKey: 'transfer.close-catch-up' },
    );
  })();
  const work = <Q extends QueueName>(name: Q, handler: (data: unknown, id: string) => Promise<unknown>) =>
    boss.work(name, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
      if (job) await handler(queues[name].parse(job.data), job.id);
    });
  // A worker starts fetching as it is registered; registering makes no round trip of its own.
  await Promise.all([
    work('email.send', (data) => sendEmailJob(deps, data)),
    work('accounts.send-password-reset', (data) => sendPasswordResetJob(deps, data)),
    work('maintenance.purge-expired', (_data, id) => purgeExpiredJob(deps, id)),
    work('billing.issue-statements', (_data, id) => issueStatementsJob(deps, id)),
    work('billing.reconcile-payments', (_data, id) => reconcilePaymentsJob(deps, id)),
    work('catalogue.refresh', (_data, id) => refreshCatalogueJob(deps, id)),
    work('servers.follow', (data) => followServerJob(deps, queues['servers.follow'].parse(data))),
    work('servers.sync', (_data, id) => syncServersJob(deps, id)),
    work('servers.reconcile', (_data, id) => reconcileServersJob(deps, id)),
    work('billing.hourly', (data, id) => billHourJob(deps, queues['billing.hourly'].parse(data), id)),
    work('billing.reminders', (_data, id) => billingRemindersJob(deps, id)),
    work('billing.dunning', (data, id) => dunningJob(deps, queues['billing.dunning'].parse(data), id)),
    work('transfer.hourly', (data, id) => transferHourlyJob(deps, queues['transfer.hourly'].parse(data), id)),
    work('transfer.close-month', (data, id) =>
      transferCloseMonthJob(deps, queues['transfer.close-month'].parse(data), id),
    ),
    work('hosting.sagas', (data, id) => hostingSagasJob(deps, queues['hosting.sagas'].parse(data), id)),
    work('hosting.billing', (data, id) => hostingBillingJob(deps, queues['hosting.billing'].parse(data), id)),
    // Four workers: one slow receiver (up to the transport's 10 s timeout) does not hold up the others.
    ...[1, 2, 3, 4].map(() =>
      work('webhooks.deliver', (data, id) => webhooksDeliverJob(deps, queues['webhooks.deliver'].parse(data), id)),
    ),
    scheduled,
    caughtUp,
  ]);
}

/**
 * Writes the cron schedules (src/queue/index.ts) that are not already stored as they are: one
 * read at most starts, instead of a write per schedule.
 */
export async function scheduleAll(boss: Services['boss']): Promise<void> {
  const stored = new Map((await boss.getSchedules()).map((s) => [s.name, s]));
  await Promise.all(
    Object.entries(schedules).map(([name, cron]) => {
      const known = stored.get(name);
      if (known && known.cron === cron && known.options?.tz === 'UTC') return undefined;
      return boss.schedule(name, cron, {}, { tz: 'UTC' });
    }),
  );
}
