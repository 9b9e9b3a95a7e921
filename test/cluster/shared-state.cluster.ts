import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TICKET_TOPIC } from '../../src/domain/support/tickets.ts';
import { schedules, type QueueName } from '../../src/queue/index.ts';
import type { SeededCatalogue } from '../helpers/servers.ts';
import { cookieOf, openStream } from '../helpers/sse.ts';
import { startCluster, type Cluster } from './harness.ts';
import { apiKey, bearer, consoleWith, customer, runningServer, seedClusterCatalogue, signIn, until } from './people.ts';

/**
 * Three SkyPanel processes on one PostgreSQL behind a round-robin proxy: what one process
 * writes or decides, the other two know. Each statement below is about state a single process
 * could keep in its memory (and an app built for one process would): sessions, API keys,
 * console tickets, rate-limit counts, realtime events, the job schedule, the migration lock.
 */

/** src/main.ts prepareDatabase: the advisory lock migrations run under. */
const MIGRATION_LOCK = 724171;
/** Queues scheduled every minute (src/queue/index.ts schedules). */
const EVERY_MINUTE = Object.entries(schedules)
  .filter(([, cron]) => cron === '* * * * *')
  .map(([name]) => name as QueueName);
const AUTH_ACTIONS = 6;
const ANONYMOUS = 24;

let cluster: Cluster;
let catalogue: SeededCatalogue;
let startedAt = 0;

beforeAll(async () => {
  startedAt = Date.now();
  cluster = await startCluster({
    nodes: 3,
    env: { RATE_LIMIT_AUTH_ACTIONS: String(AUTH_ACTIONS), RATE_LIMIT_ANONYMOUS: String(ANONYMOUS) },
  });
  catalogue = await seedClusterCatalogue(cluster);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('three processes share', () => {
  it('sessions: signed in on one node, signed in on every node; signed out on one, refused by all within moments', async () => {
    const ada = await customer(cluster, 'Ada');
    const browser = await signIn(cluster, ada.email, cluster.nodes[0]!.url);
    for (const node of cluster.nodes) {
      browser.base = node.url;
      const res = await browser.get('/dashboard');
      expect(res.status, `dashboard on node ${node.index}`).toBe(200);
      expect(browser.lastHtml).toContain('Ada');
    }
    // Sign out on node 2: nodes 0 and 1 (which have the session in their caches) stop accepting it as
    // soon as PostgreSQL's notification reaches them (milliseconds; their cache would keep it 30 s).
    browser.base = cluster.nodes[2]!.url;
    await browser.get('/dashboard');
    const cookie = cookieOf(browser);
    const out = await browser.post('/logout');
    expect(out.status).toBe(303);
    for (const node of cluster.nodes.slice(0, 2))
      await until(
        async () => {
          const res = await fetch(`${node.url}/dashboard`, { headers: { cookie }, redirect: 'manual' });
          return res.status === 303 && /^\/login/.test(res.headers.get('location') ?? '');
        },
        `node ${node.index} to refuse the signed-out session`,
        2000,
      );
  });

  it('API keys: made on one node, accepted by every node; revoked on one, refused by all within moments', async () => {
    const grace = await customer(cluster, 'Grace');
    const browser = await signIn(cluster, grace.email, cluster.nodes[1]!.url);
    await browser.get('/settings/api-keys');
    const made = await browser.post('/settings/api-keys', {
      name: 'cluster',
      organization_id: grace.organizationId,
      permissions: 'tickets_view',
    });
    expect(made.status).toBe(201);
    const key = /data-testid="api-key-secret">([^<]+)</.exec(browser.lastHtml)?.[1]?.trim();
    expect(key).toBeTruthy();
    for (const node of cluster.nodes) {
      const res = await fetch(`${node.url}/api/v1/tickets`, { headers: bearer(key!) });
      expect(res.status, `the key on node ${node.index}`).toBe(200);
    }
    // Every node has now cached the key; revoking it on node 0 reaches the other two.
    const row = await cluster.db
      .selectFrom('api_keys')
      .select('id')
      .where('user_id', '=', grace.id)
      .executeTakeFirstOrThrow();
    browser.base = cluster.nodes[0]!.url;
    await browser.get('/settings/api-keys');
    const revoked = await browser.post(`/settings/api-keys/${row.id}`, {}, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    for (const node of cluster.nodes)
      await until(
        async () => (await fetch(`${node.url}/api/v1/tickets`, { headers: bearer(key!) })).status === 401,
        `node ${node.index} to refuse the revoked key`,
        2000,
      );
  });

  it('realtime events: a ticket opened through one node reaches the SSE streams held open on all three (and through the proxy)', async () => {
    const lin = await customer(cluster, 'Lin');
    const browser = await signIn(cluster, lin.email, cluster.proxyUrl);
    const cookie = cookieOf(browser);
    // One stream on each node, and one through the proxy (which must stream, not buffer).
    const streams = await Promise.all(
      [...cluster.nodes.map((n) => n.url), cluster.proxyUrl].map((base) => openStream(base, cookie)),
    );
    try {
      // An API key for the opening (any node will do: it is the proxy's turn that decides).
      await browser.get('/settings/api-keys');
      await browser.post('/settings/api-keys', {
        name: 'events',
        organization_id: lin.organizationId,
        permissions: 'tickets_create',
      });
      const key = /data-testid="api-key-secret">([^<]+)</.exec(browser.lastHtml)![1]!.trim();
      const opened = await fetch(`${cluster.nodes[1]!.url}/api/v1/tickets`, {
        method: 'POST',
        headers: { ...bearer(key), 'content-type': 'application/json' },
        body: JSON.stringify({ subject: 'Disk full', message: 'My disk is full on every node.' }),
      });
      expect(opened.status).toBe(201);
      const ticket = (await opened.json()) as { id: string };
      for (const stream of streams)
        await stream.until((frames) => frames.some((f) => f.event === TICKET_TOPIC && f.data.includes(ticket.id)));
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });

  it('console tickets: minted through one node, redeemed on another, and only once anywhere', async () => {
    const kim = await customer(cluster, 'Kim');
    const browser = await signIn(cluster, kim.email, cluster.nodes[0]!.url);
    const key = await apiKey(browser, kim.organizationId, 'vps_create');
    // A server bought through the proxy at the shared Linode emulator; a node's servers.follow job sees it running.
    const server = await runningServer(cluster, key, catalogue.plans.small.id, 'cluster-console');

    await browser.get(`/vps/${server.id}/console`);
    const minted = await fetch(`${cluster.nodes[0]!.url}/vps/${server.id}/console/tickets`, {
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
    expect(minted.status, await minted.clone().text()).toBe(201);
    const { ticket } = (await minted.json()) as { ticket: string };

    const onNode1 = await consoleWith(cluster, cluster.nodes[1]!.url, ticket);
    try {
      await onNode1.until((c) => c.some((m) => m.type === 'status' && m.state === 'connected'));
    } finally {
      onNode1.ws.close();
    }
    const again = await consoleWith(cluster, cluster.nodes[2]!.url, ticket);
    await again.closed;
    expect(again.closeCode).toBe(4001);
  });

  it('rate limits: the strict sign-in limit of N refuses attempt N+1 through the round-robin proxy, not 3N+1', async () => {
    const ip = '198.51.100.99';
    const statuses: number[] = [];
    const browser = cluster.browser({ ip });
    await browser.get('/login');
    const before = [...cluster.proxied];
    for (let i = 0; i < AUTH_ACTIONS + 3; i++) {
      const res = await browser.post('/login', { email: `nobody${i}@example.test`, password: 'wrong password' });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, AUTH_ACTIONS).every((s) => s === 422)).toBe(true);
    expect(statuses.slice(AUTH_ACTIONS)).toEqual([429, 429, 429]);
    // The attempts really were spread over the three processes.
    const spread = cluster.proxied.map((n, i) => n - before[i]!);
    expect(spread.every((n) => n >= 3)).toBe(true);
  });

  it('rate limits: the anonymous tier limit of N admits N of a burst of 3N spread over the three, not 3N', async () => {
    const ip = '198.51.100.123';
    const headers = { 'x-forwarded-for': ip, 'x-cluster-client-ip': ip };
    const before = [...cluster.proxied];
    const statuses = await Promise.all(
      Array.from({ length: 3 * ANONYMOUS }, () =>
        fetch(`${cluster.proxyUrl}/login`, { headers }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(ANONYMOUS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2 * ANONYMOUS);
    expect(cluster.proxied.map((n, i) => n - before[i]!)).toEqual([ANONYMOUS, ANONYMOUS, ANONYMOUS]);
    // And afterwards every node refuses the address, whichever it asks.
    for (const node of cluster.nodes) expect((await fetch(`${node.url}/login`, { headers })).status).toBe(429);
  });

  it('the migration lock: a node restarted while another holds it (mid-upgrade) waits, not ready, while the others serve; then serves without migrating again', async () => {
    const node = cluster.nodes[2]!;
    expect(await node.kill('SIGTERM')).toBe(0);
    // Another process is upgrading: it holds the lock, and its migration is not recorded yet.
    const upgrader = new pg.Client(cluster.databaseUrl);
    await upgrader.connect();
    try {
      await upgrader.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const { rows } = await upgrader.query<{ name: string; timestamp: string }>(
        'delete from kysely_migration where name = (select max(name) from kysely_migration) returning name, timestamp',
      );
      const latest = rows[0]!;
      // The restarted node's pg-boss starts at once: let its scheduler try the current minute again.
      await upgrader.query('update pgboss.version set cron_on = null');
      node.spawn();
      await until(async () => {
        const { rows: waiting } = await upgrader.query<{ n: number }>(
          `select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = $1 and not granted`,
          [MIGRATION_LOCK],
        );
        return waiting[0]!.n === 1;
      }, 'the restarted node to wait for the migration lock');
      expect(node.running()).toBe(true);
      expect(
        await fetch(`${node.url}/ready`).then(
          (r) => r.status,
          () => 'refused',
        ),
      ).toBe('refused');
      // The others go on serving (their /ready reports the pending migration, their pages do not wait).
      const visitor = { 'x-cluster-client-ip': '198.51.100.200' };
      const served = await Promise.all(
        Array.from({ length: 6 }, () => fetch(`${cluster.proxyUrl}/login`, { headers: visitor }).then((r) => r.status)),
      );
      expect(served).toEqual([200, 200, 200, 200, 200, 200]);

      // The upgrade ends: its migration recorded, the lock let go.
      await upgrader.query('insert into kysely_migration (name, timestamp) values ($1, $2)', [
        latest.name,
        latest.timestamp,
      ]);
      await upgrader.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      await node.untilReady();
      const { rows: once } = await upgrader.query<{ n: number }>(
        'select count(*)::int as n from kysely_migration where name = $1',
        [latest.name],
      );
      expect(once[0]!.n).toBe(1);
    } finally {
      await upgrader.end();
    }
  });

  it('the schedule: each scheduled job ran once per slot, though three processes (and a restart) scheduled it', async () => {
    // The every-minute jobs: at least one slot has passed since the cluster started.
    await until(async () => (await runsOf('servers.sync')).length > 0, 'a servers.sync run', 70_000);
    for (const queue of EVERY_MINUTE) {
      const runs = await runsOf(queue);
      const { rows: slots } = await sql<{ slot: Date; n: number }>`
        select singleton_on as slot, count(*)::int as n from pgboss.job
        where name = '__pgboss__send-it' and singleton_key = ${queue} group by singleton_on`.execute(cluster.db);
      const { rows: jobs } = await sql<{ id: string }>`
        select id::text from pgboss.job where name = ${queue}
        union all select id::text from pgboss.archive where name = ${queue}`.execute(cluster.db);
      // One send per minute slot, one job per send, one run per job: never three.
      expect(slots.every((s) => s.n === 1)).toBe(true);
      expect(jobs.length).toBeLessThanOrEqual(slots.length);
      const byJob = new Map<string, number>();
      for (const r of runs) byJob.set(r.job_id!, (byJob.get(r.job_id!) ?? 0) + 1);
      expect([...byJob.values()].every((n) => n === 1)).toBe(true);
      const minutes = (Date.now() - startedAt) / 60_000;
      expect(runs.length).toBeLessThanOrEqual(Math.ceil(minutes) + 1);
    }
  });
});

/** The recorded runs of a scheduled queue. */
function runsOf(queue: QueueName) {
  return cluster.db.selectFrom('job_runs').select(['job_id', 'status']).where('queue', '=', queue).execute();
}
