import { queues, type Payload, type QueueName } from '../../src/queue/index.ts';
import type { TestContext } from './context.ts';

/**
 * Tests start no workers: this runs, as a worker would, every job waiting in queue `name`,
 * giving each payload (checked against the queue's schema) to `handler` and completing it.
 * Returns how many ran.
 */
export async function runQueued<Q extends QueueName>(
  ctx: Pick<TestContext, 'boss'>,
  name: Q,
  handler: (data: Payload<Q>) => Promise<unknown>,
): Promise<number> {
  let ran = 0;
  for (;;) {
    const jobs = await ctx.boss.fetch(name, { batchSize: 50 });
    if (jobs.length === 0) return ran;
    for (const job of jobs) {
      await handler(queues[name].parse(job.data) as Payload<Q>);
      await ctx.boss.complete(name, job.id);
      ran++;
    }
  }
}
