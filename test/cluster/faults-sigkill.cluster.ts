import { sql } from 'kysely';
import pg from 'pg';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import type { Deps } from '../../src/domain/deps.ts';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import { ABANDONED, startBillingRun } from '../../src/domain/metering/runs.ts';
import { encryptSecret } from '../../src/lib/crypto.ts';
import { createEnhanceClient } from '../../src/providers/enhance/index.ts';
import { bossQueue, createBoss } from '../../src/queue/index.ts';
import { ABANDONED_JOB } from '../../src/queue/reaper.ts';
import { fundWallet } from '../helpers/money.ts';
import { usd, type SeededCatalogue } from '../helpers/servers.ts';
import { cookieOf } from '../helpers/sse.ts';
import { engineProblems, insertServer, newOrganization, type MeteringWorld } from '../metering/helpers.ts';
import { startCluster, type Cluster, type ClusterBrowser, type ClusterNode } from './harness.ts';
import { apiKey, bearer, consoleWith, customer, runningServer, seedClusterCatalogue, signIn, until } from './people.ts';

/**
 * Any node may die at any moment (SIGKILL: no shutdown code runs, its connections just end),
 * and the other two finish what it was doing within seconds, with nothing charged twice,
 * nothing lost, nothing half-made left behind and nothing left stuck:
 *
 *   - mid-billing run: every server billed exactly once for the hour, the dead run marked
 *     failed, its job offered again at once (src/queue/reaper.ts) and completed elsewhere;
 *   - mid hosting purchase: one service, one charge, one subscription and one website at the
 *     panel (the saga's lock went with the process, so the purchase's watch job takes it over);
 *   - mid-console: the dead node's console stops counting against the limits at once, so a new
 *     console opens on another node (CONSOLE_MAX_PER_SERVER is 1 here).
 *
 * After each, every wallet equals the sum of its ledger rows. The killed node is started again
 * after each test that another follows, so each test begins with three.
 */

/** src/domain/metering/hourly.ts: the month's advisory lock each billing batch takes first. */
const MONTH_LOCK_CLASS = 1_200_013;
/** Takeover: the reaper's interval (5 s), a worker's poll (1 s), the work itself; with room for a slow machine. */
const TAKEOVER_MS = 30_000;

let cluster: Cluster;
let catalogue: SeededCatalogue;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, env: { CONSOLE_MAX_PER_SERVER: '1' } });
  catalogue = await seedClusterCatalogue(cluster);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a node killed with SIGKILL', () => {
  it('mid-billing run: the others bill every server exactly once for the hour, and no job is left active', async () => {
    const { rows } = await sql<{ h: Date }>`select date_trunc('hour', now()) - interval '1 hour' as h`.execute(
      cluster.db,
    );
    const hour = rows[0]!.h;
    // Each node queues a catch-up run at start; over first, so the staff's run is the one that
    // bills these servers (else a catch-up run waiting on the same lock may bill them instead).
    await until(async () => {
      const { rows: open } = await sql<{ n: number }>`
        select count(*)::int as n from pgboss.job
         where name = 'billing.hourly' and state in ('created', 'retry', 'active')`.execute(cluster.db);
      return open[0]!.n === 0 ? true : null;
    }, 'the catch-up billing runs queued at start to end');
    // Three organizations, four servers each, that existed during the hour.
    const world = { ctx: { db: cluster.db }, catalogue } as unknown as MeteringWorld;
    const orgs: string[] = [];
    const servers: string[] = [];
    for (let o = 0; o < 3; o++) {
      const org = await newOrganization(cluster.db, `Billed ${o}`);
      await fundWallet(cluster.db, org, usd(20));
      orgs.push(org);
      for (let s = 0; s < 4; s++)
        servers.push(
          await insertServer(world, {
            organizationId: org,
            planId: catalogue.plans.small.id,
            createdAt: new Date(hour.getTime() + 10 * 60_000),
          }),
        );
    }
    const balances = await walletsOf(orgs);

    // The batch waits on the month's lock, held here: the run is mid-way when its node dies.
    const holder = new pg.Client(cluster.databaseUrl);
    await holder.connect();
    let boss: PgBoss | null = null;
    try {
      await holder.query('select pg_advisory_lock($1::int, $2::int)', [MONTH_LOCK_CLASS, monthKey(hour)]);
      // Staff start a run of the hour (it is queued; a node's billing.hourly worker carries it out).
      boss = createBoss(cluster.databaseUrl, { schedule: false, supervise: false });
      await boss.start();
      const admin = await cluster.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', cluster.admin.email)
        .executeTakeFirstOrThrow();
      const deps = { db: cluster.db, config: cluster.config, queue: bossQueue(boss) } as unknown as Deps;
      const queued = await startBillingRun(deps, staff(admin.id), { hour });

      const worker = await until(async () => {
        const run = await cluster.db
          .selectFrom('billing_runs')
          .select(['status', 'worker'])
          .where('id', '=', queued.id)
          .executeTakeFirstOrThrow();
        const { rows: waiting } = await holder.query<{ n: number }>(
          `select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = $1 and objid = $2 and not granted`,
          [MONTH_LOCK_CLASS, monthKey(hour)],
        );
        return run.status === 'running' && waiting[0]!.n > 0 ? run.worker : null;
      }, 'the run to be charging (waiting for the month lock)');
      const victim = nodeByWorker(worker!);
      const { rows: jobs } = await sql<{ id: string; state: string }>`
        select id::text, state::text from pgboss.job where name = 'billing.hourly' and data->>'runId' = ${queued.id}`.execute(
        cluster.db,
      );
      expect(jobs).toEqual([{ id: expect.any(String), state: 'active' }]);
      const job = jobs[0]!;

      await victim.kill('SIGKILL');
      await holder.query('select pg_advisory_unlock($1::int, $2::int)', [MONTH_LOCK_CLASS, monthKey(hour)]);

      // The run that charged them: the staff's, taken over (or, should the :05 schedule fall in
      // this test, a scheduled run that waited on the same lock; exactly once either way).
      const done = await until(
        async () =>
          (await cluster.db
            .selectFrom('billing_runs')
            .selectAll()
            .where('hour_start', '=', hour)
            .where('status', '=', 'succeeded')
            .where('instances_charged', '>', 0)
            .executeTakeFirst()) ?? null,
        'another node to finish billing the hour',
        TAKEOVER_MS,
      );
      // The dead node's run: failed as abandoned; a live node's: every server of the hour, for the same person.
      const dead = await cluster.db
        .selectFrom('billing_runs')
        .selectAll()
        .where('id', '=', queued.id)
        .executeTakeFirstOrThrow();
      expect(dead).toMatchObject({ status: 'failed', errors: [ABANDONED] });
      expect(done.instances_charged).toBe(servers.length);
      if (done.trigger !== 'schedule') expect(done.requested_by).toBe(admin.id);
      expect(done.worker).not.toBe(worker);

      // Exactly one charge per server for the hour, each posted once to its organization's wallet.
      const charges = await cluster.db
        .selectFrom('server_charges')
        .select(['server_id', 'amount', 'ledger_transaction_id'])
        .where('hour_start', '=', hour)
        .where('server_id', 'in', servers)
        .execute();
      expect(charges.map((c) => c.server_id).sort()).toEqual([...servers].sort());
      expect(charges.every((c) => c.amount > 0n && c.ledger_transaction_id !== null)).toBe(true);
      // Each wallet paid what its servers were charged, once (any hour: at :05 the schedule bills the current one too).
      const after = await walletsOf(orgs);
      const { rows: paid } = await sql<{ organization_id: string; total: string }>`
        select organization_id, sum(amount)::text as total from server_charges
         where server_id = any(${servers}::uuid[]) group by organization_id`.execute(cluster.db);
      for (const org of orgs)
        expect(after.get(org)).toBe(balances.get(org)! - BigInt(paid.find((p) => p.organization_id === org)!.total));
      expect(await engineProblems(cluster.db)).toEqual([]);
      expect(await checkLedgerInvariants(cluster.db)).toEqual([]);

      // No stuck job: the dead node's job was offered again at once and completed by a live node.
      await until(async () => (await stateOf(job.id)) === 'completed' || null, 'the job to complete', TAKEOVER_MS);
      const runs = await cluster.db
        .selectFrom('job_runs')
        .select(['status', 'error'])
        .where('job_id', '=', job.id)
        .orderBy('started_at')
        .execute();
      expect(runs).toEqual([
        { status: 'failed', error: ABANDONED_JOB },
        { status: 'succeeded', error: null },
      ]);
      // And none left active (a schedule run that met the held lock at :05 ends too).
      await until(async () => (await activeJobs('billing.hourly')).length === 0 || null, 'no billing job active');
    } finally {
      await holder.end();
      await boss?.stop({ graceful: false, wait: true });
      await restartKilled();
    }
  });

  it('mid hosting purchase: after takeover one service, one charge, one subscription and one website, no refund', async () => {
    const panel = cluster.emulators.enhance;
    const plan = await hostingPlan();
    const buyer = await customer(cluster, 'Hana');
    const browser = await signIn(cluster, buyer.email, cluster.nodes[0]!.url);
    const key = await apiKey(browser, buyer.organizationId, 'hosting_manage');
    const domain = `sigkill-${Date.now().toString(36)}.test`;

    // The panel is slow to make the website: the saga waits there, in the purchase request on node 1.
    panel.faults.delay('POST', /\/websites$/, 120_000, 1);
    const victim = cluster.nodes[1]!;
    const purchase = fetch(`${victim.url}/api/v1/hosting/services`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json', 'idempotency-key': `buy-${domain}` },
      body: JSON.stringify({ plan_id: plan.id, domain }),
    }).then(
      (r) => r.status,
      () => 'cut off',
    );
    // Mid-saga: the charge, the panel's customer, login, member and subscription are done; the website is asked for.
    await until(async () => panel.state.faults.length === 0 || null, 'the website request to be held');
    const { id: service } = await cluster.db
      .selectFrom('hosting_services')
      .select('id')
      .where('organization_id', '=', buyer.organizationId)
      .executeTakeFirstOrThrow();
    const journal = await cluster.db
      .selectFrom('hosting_saga_steps')
      .select('step')
      .where('service_id', '=', service)
      .execute();
    expect(journal.map((j) => j.step).sort()).toEqual(['charge', 'customer', 'login', 'member', 'subscription']);

    await victim.kill('SIGKILL');
    expect(await purchase).toBe('cut off');

    const after = await until(
      async () => {
        const row = await cluster.db
          .selectFrom('hosting_services')
          .selectAll()
          .where('id', '=', service)
          .executeTakeFirstOrThrow();
        return row.saga_state === 'done' ? row : null;
      },
      'another node to take the purchase over',
      TAKEOVER_MS,
    );
    expect(after).toMatchObject({ status: 'active', saga_state: 'done', failure: null });
    // One of everything, nothing undone.
    const services = await cluster.db
      .selectFrom('hosting_services')
      .select('id')
      .where('organization_id', '=', buyer.organizationId)
      .execute();
    expect(services).toHaveLength(1);
    const charges = await cluster.db
      .selectFrom('hosting_charges')
      .select(['amount', 'refunded'])
      .where('service_id', '=', service)
      .execute();
    expect(charges).toEqual([{ amount: usd(5), refunded: 0n }]);
    const postings = await cluster.db
      .selectFrom('ledger_transactions')
      .select('kind')
      .where('organization_id', '=', buyer.organizationId)
      .where('kind', 'in', ['hosting_charge', 'hosting_refund'])
      .execute();
    expect(postings.map((p) => p.kind)).toEqual(['hosting_charge']);
    expect((await walletsOf([buyer.organizationId])).get(buyer.organizationId)).toBe(usd(50) - usd(5));
    const subscriptions = [...panel.state.subscriptions.values()].filter(
      (s) => s.subscriberId === after.enhance_org_id && s.status === 'active',
    );
    expect(subscriptions.map((s) => s.id)).toEqual([after.enhance_subscription_id]);
    const websites = [...panel.state.websites.values()].filter(
      (w) => w.status !== 'deleted' && w.domains.some((d) => d.domain === domain),
    );
    expect(websites.map((w) => w.id)).toEqual([after.enhance_website_id]);
    expect(await checkLedgerInvariants(cluster.db)).toEqual([]);
    // Nothing left running or waiting for this purchase.
    await until(
      async () => (await jobsFor('hosting.sagas', service)).every((s) => s === 'completed'),
      'its watch jobs to end',
      TAKEOVER_MS,
    );
    await restartKilled();
  });

  it('mid-console: its console stops counting at once, so a new one opens on another node', async () => {
    const kai = await customer(cluster, 'Kai');
    const browser = await signIn(cluster, kai.email, cluster.nodes[0]!.url);
    const key = await apiKey(browser, kai.organizationId, 'vps_create');
    const server = await runningServer(cluster, key, catalogue.plans.small.id, 'sigkill-console');

    // The server's one console place, taken on node 2.
    const victim = cluster.nodes[2]!;
    const first = await consoleWith(cluster, victim.url, await mintTicket(browser, victim, server.id));
    await first.until((c) => c.some((m) => m.type === 'status' && m.state === 'connected'));
    const full = await ticketRequest(browser, cluster.nodes[0]!, server.id);
    expect(full.status).toBe(429);

    await victim.kill('SIGKILL');
    await first.closed;

    // At once (no 2-minute staleness to wait out): a ticket on node 0, a console on node 1.
    const again = await consoleWith(
      cluster,
      cluster.nodes[1]!.url,
      await mintTicket(browser, cluster.nodes[0]!, server.id),
    );
    try {
      await again.until((c) => c.some((m) => m.type === 'status' && m.state === 'connected'));
      const open = await cluster.db
        .selectFrom('console_sessions')
        .select('id')
        .where('server_id', '=', server.id)
        .execute();
      expect(open).toHaveLength(1);
      const ended = await cluster.db
        .selectFrom('activity_log')
        .select('details')
        .where('action', '=', 'server.console_closed')
        .where('target_id', '=', server.id)
        .execute();
      expect(ended.map((e) => (e.details as { reason: string }).reason)).toEqual([
        'The process holding the console stopped.',
      ]);
    } finally {
      again.ws.close();
      await again.closed;
    }
    expect(await checkLedgerInvariants(cluster.db)).toEqual([]);
  });
});

// ——— the cast and the props ———

const staff = (userId: string): Actor => ({
  userId,
  isPlatformAdmin: true,
  organizationId: null,
  roleName: null,
  permissions: new Set(),
  impersonatorUserId: null,
  apiKeyId: null,
  origin: { ip: '192.0.2.9', userAgent: 'vitest' },
});

/** The hosting integration aimed at the shared Enhance emulator, and its first plan sold at 5.00. */
async function hostingPlan(): Promise<{ id: string }> {
  const panel = cluster.emulators.enhance;
  await cluster.db
    .insertInto('hosting_integration')
    .values({
      id: 1,
      enabled: true,
      demo: false,
      api_url: panel.url,
      master_org_id: panel.masterOrgId,
      token_ciphertext: encryptSecret(cluster.config.encryptionKeys, panel.token),
    })
    .execute();
  const [p] = await createEnhanceClient({
    baseUrl: panel.url,
    token: panel.token,
    masterOrgId: panel.masterOrgId,
  }).listPlans();
  return cluster.db
    .insertInto('hosting_plans')
    .values({
      master_org_id: panel.masterOrgId,
      enhance_plan_id: p!.id,
      upstream_name: p!.name,
      name: p!.name,
      description: `${p!.name} hosting`,
      monthly_price: usd(5),
      resources: JSON.stringify(p!.resources),
      allowances: JSON.stringify(p!.allowances),
      selections: JSON.stringify(p!.selections),
      php_versions: p!.allowedPhpVersions,
      active: true,
      position: 1,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

function ticketRequest(browser: ClusterBrowser, node: ClusterNode, serverId: string) {
  return fetch(`${node.url}/vps/${serverId}/console/tickets`, {
    method: 'POST',
    headers: {
      cookie: cookieOf(browser),
      origin: cluster.proxyUrl,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/json',
      'x-csrf-token': browser.csrf,
    },
    body: JSON.stringify({ mode: 'lish' }),
  });
}

async function mintTicket(browser: ClusterBrowser, node: ClusterNode, serverId: string): Promise<string> {
  await browser.get(`/vps/${serverId}/console`);
  const res = await ticketRequest(browser, node, serverId);
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { ticket: string }).ticket;
}

const monthKey = (hour: Date) => hour.getUTCFullYear() * 12 + hour.getUTCMonth();

/** The node whose process wrote `worker` (hourly.ts workerName: host:pid). */
function nodeByWorker(worker: string): ClusterNode {
  const pid = Number(worker.split(':').pop());
  const node = cluster.nodes.find((n) => n.pid === pid);
  if (!node) throw new Error(`no node has pid ${pid} (${worker})`);
  return node;
}

async function walletsOf(orgs: string[]): Promise<Map<string, bigint>> {
  const rows = await cluster.db
    .selectFrom('wallets')
    .select(['organization_id', 'balance'])
    .where('organization_id', 'in', orgs)
    .execute();
  return new Map(rows.map((r) => [r.organization_id, r.balance]));
}

async function activeJobs(queue: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id::text from pgboss.job where name = ${queue} and state = 'active'`.execute(cluster.db);
  return rows.map((r) => r.id);
}

async function stateOf(jobId: string): Promise<string | null> {
  const { rows } = await sql<{ state: string }>`
    select state::text from pgboss.job where id = ${jobId}::uuid
    union all select state::text from pgboss.archive where id = ${jobId}::uuid`.execute(cluster.db);
  return rows[0]?.state ?? null;
}

async function jobsFor(queue: string, serviceId: string): Promise<string[]> {
  const { rows } = await sql<{ state: string }>`
    select state::text from pgboss.job where name = ${queue} and data->>'serviceId' = ${serviceId}`.execute(cluster.db);
  return rows.map((r) => r.state);
}

/** Every killed node started again (and ready), so the next test has three. */
async function restartKilled(): Promise<void> {
  await Promise.all(cluster.nodes.filter((n) => !n.running()).map((n) => n.start()));
}
