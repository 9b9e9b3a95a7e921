/**
 * The hourly billing engine at scale: `npm run bench:billing`. An embedded PostgreSQL in a
 * fresh `.tmp/bench-billing-postgres`, migrations, 100,000 servers across 10,000
 * organizations written set-based, then one hourly run of the current hour timed, and a second
 * run of the same hour (which must charge nothing). Prints
 * `hourly billing: <N> instances, <ms> ms, <instances/s>/s` for each. A report, not a gate:
 * the target is 100,000 instances in ≤ 10 s.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { createDb } from '../src/db/index.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { checkLedgerInvariants } from '../src/domain/ledger/invariants.ts';
import { runHourlyBilling } from '../src/domain/metering/hourly.ts';
import { createLogger } from '../src/lib/log.ts';
import { seedFleet } from './billing-seed.ts';

const SERVERS = Number(process.env.BENCH_SERVERS ?? 100_000);
const ORGANIZATIONS = Number(process.env.BENCH_ORGANIZATIONS ?? 10_000);

async function main() {
  const dir = path.resolve('.tmp/bench-billing-postgres');
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.credentials.json`, { force: true });
  const postgres = await startEmbeddedPostgres(dir, 55472);
  const db = createDb(postgres.url, 4);
  try {
    await migrateToLatest(db);
    const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent', DATABASE_URL: postgres.url });
    const deps = { db, config, log: createLogger('silent') };

    const provider = await db
      .insertInto('cloud_providers')
      .values({ kind: 'linode', name: 'Bench cloud', emulated: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const plan = await db
      .insertInto('server_plans')
      .values({
        provider_id: provider.id,
        provider_type: 'g6-standard-1',
        name: 'Bench 2 GB',
        category: 'Shared CPU',
        vcpus: 1,
        memory_mb: 2048,
        disk_gb: 50,
        transfer_gb: 2000,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('server_plan_prices')
      .values({
        plan_id: plan.id,
        base_monthly: 10_000_000n,
        markup_monthly: 2_000_000n,
        backups_monthly: 2_000_000n,
        currency: 'USD',
        effective_from: new Date('2020-01-01T00:00:00Z'),
      })
      .execute();
    const hour = (await sql<{ h: Date }>`select date_trunc('hour', now()) as h`.execute(db)).rows[0]!.h;
    const seeded = Date.now();
    await seedFleet(db, {
      organizations: ORGANIZATIONS,
      servers: SERVERS,
      providerId: provider.id,
      planId: plan.id,
      createdAt: new Date(hour.getTime() - 3 * 3_600_000),
      balance: 100_000_000n,
    });
    await sql`vacuum analyze`.execute(db);
    console.log(`[bench] seeded ${SERVERS} servers across ${ORGANIZATIONS} organizations in ${Date.now() - seeded} ms`);

    for (const label of ['first run', 'second run (same hour)']) {
      const started = performance.now();
      const run = await runHourlyBilling(deps, { hour, trigger: 'admin' });
      const ms = performance.now() - started;
      const perSecond = run.instancesCharged ? Math.round(run.instancesCharged / (ms / 1000)) : 0;
      console.log(
        `hourly billing: ${run.instancesCharged} instances, ${Math.round(ms)} ms, ${perSecond}/s  (${label}; amount ${run.amount} micro-units, ${run.status})`,
      );
    }
    const problems = await checkLedgerInvariants(db);
    console.log(
      problems.length ? `[bench] ledger problems:\n${problems.join('\n')}` : '[bench] ledger invariants hold',
    );
  } finally {
    await db.destroy();
    await postgres.stop();
  }
}

main().catch((err: Error) => {
  console.error(`benchmark failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
