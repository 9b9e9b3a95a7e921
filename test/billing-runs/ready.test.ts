import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/domain/servers/create.ts';
import { usd } from '../helpers/servers.ts';
import { actorFor } from '../servers/helpers.ts';
import { customer, serverWorld, type ServerWorld } from '../web-servers/helpers.ts';
import { dbHour } from './helpers.ts';

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

const ready = async () => {
  const res = await world.ctx.app.request('/ready');
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & { checks: Record<string, boolean> },
  };
};
const succeeded = async (hour: Date) =>
  (
    await world.ctx.db
      .insertInto('billing_runs')
      .values({ hour_start: hour, status: 'succeeded', trigger: 'schedule', currency: 'USD' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;

describe('/ready and hourly billing', () => {
  it('is ready with nothing to bill, however long since a run; late once a server-hour older than two hours is unbilled; ready again when billed', async () => {
    // No servers, no runs: nothing is owed.
    let r = await ready();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ last_billed_hour: null, billing_lag_seconds: 0, checks: { billing: true } });

    // A run long ago, still no servers: lagging, but nothing is owed.
    await succeeded(await dbHour(world.ctx.db, -10));
    r = await ready();
    expect(r.status).toBe(200);
    expect(r.body.billing_lag_seconds).toBeGreaterThan(9 * 3600);

    // A server that has existed for five hours: its hours since the run are owed, more than two hours late.
    const kim = await customer(world, 'Kim Late', usd(50));
    const { server } = await createServer(world.ctx.deps, actorFor(kim, kim.organization.id), {
      label: 'late-1',
      region: 'us-east',
      planId: world.catalogue.plans.small.id,
      image: 'debian12',
    });
    await sql`update servers set created_at = now() - interval '5 hours' where id = ${server.id}`.execute(world.ctx.db);
    r = await ready();
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: 'not_ready', checks: { database: true, migrations: true, billing: false } });
    expect(r.body.last_billed_hour).toBe((await dbHour(world.ctx.db, -10)).toISOString());

    // Billed up to the hour before last: the last hour unbilled for one to two hours, ready.
    await succeeded(await dbHour(world.ctx.db, -2));
    r = await ready();
    expect(r.status).toBe(200);
    expect(r.body.last_billed_hour).toBe((await dbHour(world.ctx.db, -2)).toISOString());
    expect(r.body.billing_lag_seconds).toBeGreaterThanOrEqual(3600);
    expect(r.body.billing_lag_seconds).toBeLessThanOrEqual(7200);

    // Billed to the current hour: no lag.
    await succeeded(await dbHour(world.ctx.db, 0));
    r = await ready();
    expect(r.status).toBe(200);
    expect(r.body.billing_lag_seconds).toBe(0);
  });

  it('reports the lag from the oldest owed hour when no run ever succeeded, and ignores failed creates and servers deleted before', async () => {
    const other = await serverWorld();
    try {
      const lee = await customer(other, 'Lee Never', usd(50));
      const { server } = await createServer(other.ctx.deps, actorFor(lee, lee.organization.id), {
        label: 'never-1',
        region: 'us-east',
        planId: other.catalogue.plans.small.id,
        image: 'debian12',
      });
      const check = async () => {
        const res = await other.ctx.app.request('/ready');
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      // Created this hour: its hour was charged at create; nothing owed yet.
      expect((await check()).status).toBe(200);
      // A failed create four hours ago owes nothing.
      await sql`update servers set created_at = now() - interval '4 hours', status = 'failed' where id = ${server.id}`.execute(
        other.ctx.db,
      );
      expect((await check()).status).toBe(200);
      // Deleted within its creation hour: nothing owed either.
      await sql`update servers set status = 'deleted', deleted_at = date_trunc('hour', created_at) + interval '10 minutes' where id = ${server.id}`.execute(
        other.ctx.db,
      );
      expect((await check()).status).toBe(200);
      // Living for four hours with no run: owed since the hour after its creation hour.
      await sql`update servers set status = 'running', deleted_at = null where id = ${server.id}`.execute(other.ctx.db);
      const late = await check();
      expect(late.status).toBe(503);
      expect(late.body.last_billed_hour).toBe(null);
      const expected = await sql<{
        s: string;
      }>`select floor(extract(epoch from now() - (date_trunc('hour', created_at) + interval '1 hour')))::bigint as s
        from servers where id = ${server.id}`.execute(other.ctx.db);
      expect(Math.abs(Number(late.body.billing_lag_seconds) - Number(expected.rows[0]!.s))).toBeLessThanOrEqual(1);
    } finally {
      await other.close();
    }
  });
});
