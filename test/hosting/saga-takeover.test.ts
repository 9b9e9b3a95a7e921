import { sql } from 'kysely';
import pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { purchaseHosting, resumeSagas } from '../../src/domain/hosting/purchase.ts';
import { runSaga, SAGA_WATCH_SECONDS } from '../../src/domain/hosting/saga.ts';
import { cancelAll, domainName, postingsOf, serviceRow, useStoreWorld, type StoreWorld } from './purchase-helpers.ts';

/**
 * Who works on a purchase saga (src/domain/hosting/saga.ts): the worker holding its lock, and
 * nobody else; when that worker is gone (its lock with it) anyone takes it over at once, and a
 * watch job queued with the purchase makes sure someone looks within SAGA_WATCH_SECONDS.
 * A live worker is played by a connection of the test holding the saga's lock, as a run does.
 */

const w: StoreWorld = useStoreWorld();
beforeEach(async () => {
  if (w.ctx) await cancelAll(w, w.olive.orgId);
});

/** saga.ts SAGA_LOCK: the transaction-scoped lock a run holds for one service. */
const SAGA_LOCK = 724181;

const bought = () =>
  purchaseHosting(
    w.ctx.deps,
    w.olive.actor,
    { planId: w.starter, domain: domainName('watch'), key: `k-${crypto.randomUUID()}` },
    { run: false },
  );

/** The hosting.sagas jobs waiting for `serviceId`, with how long after their creation each may start. */
async function watches(serviceId: string): Promise<number[]> {
  const { rows } = await sql<{ after: number }>`
    select extract(epoch from start_after - created_on)::float8 as after from pgboss.job
     where name = 'hosting.sagas' and data->>'serviceId' = ${serviceId} and state = 'created'
     order by created_on`.execute(w.ctx.db);
  return rows.map((r) => Math.round(r.after));
}

/** A worker of another process holding the saga's lock until `release()` (its transaction ends). */
async function liveWorker(serviceId: string) {
  const client = new pg.Client(w.ctx.deps.databaseUrl);
  await client.connect();
  await client.query('begin');
  const { rows } = await client.query<{ got: boolean }>('select pg_try_advisory_xact_lock($1, hashtext($2)) as got', [
    SAGA_LOCK,
    serviceId,
  ]);
  expect(rows[0]!.got).toBe(true);
  return {
    async release() {
      await client.query('rollback');
      await client.end();
    },
  };
}

describe('taking a saga over', () => {
  it('queues a watch of the saga with the purchase, SAGA_WATCH_SECONDS later', async () => {
    const s = await bought();
    expect(await watches(s.id)).toEqual([SAGA_WATCH_SECONDS]);
  });

  it('leaves a saga a live worker holds to it, and watches it again; takes it over the moment that worker is gone', async () => {
    const s = await bought();
    const worker = await liveWorker(s.id);
    try {
      expect(await resumeSagas(w.ctx.deps)).toEqual({ busy: 1 });
      expect(await resumeSagas(w.ctx.deps, { serviceId: s.id })).toEqual({ busy: 1 });
      expect(await watches(s.id)).toEqual([SAGA_WATCH_SECONDS, SAGA_WATCH_SECONDS]);
    } finally {
      await worker.release();
    }
    // No lease to wait out: the lock was the claim.
    expect(await resumeSagas(w.ctx.deps, { serviceId: s.id })).toEqual({ done: 1 });
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'active', saga_state: 'done' });
    expect(await postingsOf(w, s.id)).toEqual(['hosting_charge']);
  });

  it('takes over at once a saga whose worker died after a step (its lock released), and finishes it once', async () => {
    const s = await bought();
    expect(await runSaga(w.ctx.deps, s.id, { haltAfter: 'customer' })).toBe('halted');
    expect((await serviceRow(w, s.id)).saga_claimed_until).toBeNull();
    expect(await resumeSagas(w.ctx.deps)).toEqual({ done: 1 });
    expect(await resumeSagas(w.ctx.deps)).toEqual({});
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'active', saga_attempts: 2 });
  });
});
