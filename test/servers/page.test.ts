import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { createFirewall } from '../../src/domain/firewalls/changes.ts';
import { addNote } from '../../src/domain/notes/notes.ts';
import { runAction } from '../../src/domain/servers/actions.ts';
import { takeSnapshot } from '../../src/domain/servers/backups.ts';
import { compiledOnce, slot } from '../../src/domain/servers/compiled.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { serverPage } from '../../src/domain/servers/page.ts';
import { serverActions } from '../../src/domain/servers/query.ts';
import { signedIn } from '../helpers/people.ts';
import { setBalance, settle, smallServer, useServersWorld, type ServersWorld } from './helpers.ts';

/**
 * The server's page (GET /vps/:id) reads the server once, with its costs and provider row,
 * beside its actions, firewalls and notes; and it asks the provider for its graphs, transfer,
 * addresses and backups at most once per kind and instance in a short while, afresh after any
 * change made through the app. Real PostgreSQL, the real Linode client, the Linode emulator
 * (whose request log says what the provider was asked).
 */

const w: ServersWorld = useServersWorld();

afterEach(() => w.cloud.emu.clearFaults());

async function browserOf(actor: Actor) {
  const user = await w.ctx.db
    .selectFrom('users')
    .select('email')
    .where('id', '=', actor.userId)
    .executeTakeFirstOrThrow();
  return signedIn(w.ctx, user.email);
}

async function runningServer(actor: Actor, organizationId: string, over: Record<string, unknown> = {}) {
  await setBalance(w, organizationId, 10_000_000n);
  const { server } = await createServer(w.ctx.deps, actor, smallServer(w, over));
  await settle(w, server.id);
  return server;
}

/** The provider reads the page makes, as the emulator recorded them since the last clear. */
const PAGE_READS = ['stats', 'transfer', 'instance_ips', 'list_backups'];
function providerReads() {
  const counts: Record<string, number> = {};
  for (const r of w.cloud.emu.requests()) if (PAGE_READS.includes(r.op)) counts[r.op] = (counts[r.op] ?? 0) + 1;
  return counts;
}

/** Every query text sent to PostgreSQL while `run` runs (as bench/run.ts counts round trips). */
async function queriesDuring(run: () => Promise<unknown>): Promise<string[]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen: string[] = [];
  proto.query = function counted(this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text);
    // pg-boss keeps its own connections busy in the background: not the page's.
    if (!/pgboss/i.test(text)) seen.push(text.replace(/\s+/g, ' '));
    return original.apply(this, args);
  };
  try {
    await run();
  } finally {
    proto.query = original;
  }
  return seen;
}

describe('the server page', () => {
  it('shows everything it showed, from one read of the server and one of each thing it has', async () => {
    const server = await runningServer(w.olivia, w.acme, { label: 'whole-page', backups: true });
    await takeSnapshot(w.ctx.deps, w.olivia, server.id, { label: 'before-upgrade' });
    w.cloud.emu.settle();
    await addNote(w.ctx.deps, w.olivia, { serverId: server.id, body: 'Runs the shop.' });
    await createFirewall(w.ctx.deps, w.olivia, {
      label: 'shop-wall',
      rules: { inbound_policy: 'DROP', outbound_policy: 'ACCEPT', inbound: [], outbound: [] },
      server_ids: [server.id],
    });
    const b = await browserOf(w.olivia);
    expect((await b.get(`/vps/${server.id}`)).status).toBe(200);

    // A first view (nothing cached): the writes above NOTIFY the process's caches
    // asynchronously, so the cache is emptied here to measure a cold read for sure.
    w.ctx.deps.cache.forget('*');
    const queries = await queriesDuring(async () => {
      expect((await b.get(`/vps/${server.id}`)).status).toBe(200);
    });
    const html = b.lastHtml;
    expect(html).toContain('whole-page');
    expect(html).toContain('Running');
    expect(html).toContain('1 vCPU · 2 GB · 50 GB disk · 2000 GB transfer');
    expect(html).toContain('data-testid="server-cost">$0.0247');
    expect(html).toContain(server.ipv4[0]!);
    expect(html).toMatch(/data-testid="graph-cpu(-empty)?"/);
    expect(html).toContain('before-upgrade');
    expect(html).toContain('add-on ($3.00/month) from the next hour');
    expect(html).toContain('Runs the shop.');
    expect(html).toContain('>shop-wall</a>');
    expect(html.match(/data-testid="server-action"/g)).toHaveLength(3);
    expect(html).toMatch(/<td class="py-2">snapshot<\/td>[\s\S]*<td class="py-2">create<\/td>/);
    expect(html).not.toMatch(/linode/i);

    // The server once (with its plan, price, costs, actions and provider row); never again by a helper.
    expect(queries.filter((q) => /from "servers" as "s"/.test(q))).toHaveLength(1);
    expect(queries.filter((q) => /select \* from "servers"/.test(q))).toHaveLength(0);
    expect(queries.filter((q) => /server_actions/.test(q))).toHaveLength(1);
    expect(queries.filter((q) => /from "cloud_providers" where/.test(q))).toHaveLength(0);
    expect(queries.filter((q) => /server_charge_refunds/.test(q))).toHaveLength(1);

    // Viewed again while nothing changed: the server's part is kept (migration 0047 names its
    // organization on every write it shows); only the firewalls guarding it, the servers each
    // guards, and its notes are read. A late notification of the writes above may make one more
    // read load again, never more.
    let warm: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      warm = await queriesDuring(async () => {
        expect((await b.get(`/vps/${server.id}`)).status).toBe(200);
      });
      if (warm.length <= 3) break;
    }
    expect(warm.filter((q) => /from "servers" as "s"/.test(q))).toHaveLength(0);
    expect(warm.length, warm.join('\n')).toBeLessThanOrEqual(3);
    expect(b.lastHtml).toContain('Runs the shop.');
    expect(b.lastHtml).toContain('>shop-wall</a>');
  });

  it('takes one database round trip for a server with no firewall and no note, none while nothing changed, and says it has none', async () => {
    const server = await runningServer(w.olivia, w.acme, { label: 'plain-page' });
    const b = await browserOf(w.olivia);
    await b.get(`/vps/${server.id}`);
    w.ctx.deps.cache.forget('*');
    const cold = await queriesDuring(async () => {
      expect((await b.get(`/vps/${server.id}`)).status).toBe(200);
    });
    // The session, the organization list and the settings are read again too (the cache was emptied).
    expect(
      cold.filter((q) => /from "servers" as "s"/.test(q)),
      cold.join('\n'),
    ).toHaveLength(1);
    // Kept in the data cache until the organization's data changes (migration 0047): a late
    // notification of the writes above may make one more read load again, never more.
    let queries: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      queries = await queriesDuring(async () => {
        expect((await b.get(`/vps/${server.id}`)).status).toBe(200);
      });
      if (queries.length === 0) break;
    }
    expect(queries, queries.join('\n')).toEqual([]);
    expect(b.lastHtml).toContain('plain-page');
    expect(b.lastHtml).toContain('No firewall protects this server.');
    expect(b.lastHtml).toContain('name="server_id" value="' + server.id + '"');
    expect(b.lastHtml).not.toMatch(/id="note-/);
  });

  it('reads the cost this month, the price in force and the newest actions as the server’s own functions do', async () => {
    const server = await runningServer(w.olivia, w.acme);
    for (const label of ['first-name', 'second-name', 'third-name'])
      await runAction(w.ctx.deps, w.olivia, server.id, { type: 'rename', label });
    const page = await serverPage(w.ctx.deps, w.olivia, server.id);
    expect(page.actions).toEqual(await serverActions(w.ctx.deps, w.olivia, server.id, { limit: 20 }));
    expect(page.actions.map((a) => a.type)).toEqual(['rename', 'rename', 'rename', 'create']);
    expect(page.actions[0]!.finishedAt).toBeInstanceOf(Date);
    const charged = await w.ctx.db
      .selectFrom('server_charges')
      .select(['amount'])
      .where('server_id', '=', server.id)
      .execute();
    expect(page.costs).toEqual({
      thisMonth: charged.reduce((sum, c) => sum + c.amount, 0n),
      hours: charged.length,
      hourly: page.server.hourlyPrice,
      currency: 'USD',
    });
    expect(page.backupsMonthly).toBe(w.catalogue.plans.small.backupsMonthly);
    expect(page.provider.id).toBe(w.catalogue.providerId);
  });

  it('asks the provider once per kind of read; a second view a moment later asks nothing', async () => {
    const server = await runningServer(w.olivia, w.acme, { backups: true });
    const b = await browserOf(w.olivia);
    w.cloud.emu.clearRequests();
    await b.get(`/vps/${server.id}`);
    expect(providerReads()).toEqual({ stats: 1, transfer: 1, instance_ips: 1, list_backups: 1 });
    await b.get(`/vps/${server.id}`);
    await b.get(`/vps/${server.id}`);
    expect(b.lastHtml).toContain(server.ipv4[0]!);
    expect(providerReads()).toEqual({ stats: 1, transfer: 1, instance_ips: 1, list_backups: 1 });
  });

  it('views at the same moment share one call of each kind', async () => {
    const server = await runningServer(w.olivia, w.acme, { backups: true });
    const b = await browserOf(w.olivia);
    w.cloud.emu.clearRequests();
    const views = await Promise.all(Array.from({ length: 6 }, () => b.get(`/vps/${server.id}`)));
    expect(views.map((v) => v.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(providerReads()).toEqual({ stats: 1, transfer: 1, instance_ips: 1, list_backups: 1 });
  });

  it('after a change through the app the next view asks the provider again and shows it: reverse DNS, rename, snapshot', async () => {
    const server = await runningServer(w.olivia, w.acme, { backups: true });
    const ip = server.ipv4[0]!;
    w.cloud.emu.setResolvableNames({ 'shop.example.com': ip });
    const b = await browserOf(w.olivia);
    await b.get(`/vps/${server.id}`);
    expect(b.lastHtml).not.toContain('value="shop.example.com"');

    w.cloud.emu.clearRequests();
    expect((await b.post(`/vps/${server.id}/reverse-dns`, { address: ip, name: 'shop.example.com' })).status).toBe(303);
    await b.get(`/vps/${server.id}`);
    expect(b.lastHtml).toContain('value="shop.example.com"');

    expect((await b.post(`/vps/${server.id}/backups/snapshots`, { label: 'fresh-snap' })).status).toBe(303);
    await b.get(`/vps/${server.id}`);
    expect(b.lastHtml).toContain('fresh-snap');

    expect((await b.post(`/vps/${server.id}/rename`, { label: 'renamed-shop' })).status).toBe(303);
    await b.get(`/vps/${server.id}`);
    expect(b.lastHtml).toContain('renamed-shop');
    // Three views after three changes: each read afresh (the rDNS check and the page's own reads).
    expect(providerReads().list_backups).toBe(3);
    expect(providerReads().stats).toBe(3);
  });

  it('forgets a failed read at once: the page says it is unavailable, and the next view asks again', async () => {
    const server = await runningServer(w.olivia, w.acme);
    const b = await browserOf(w.olivia);
    w.cloud.emu.clearRequests();
    w.cloud.emu.inject({ type: 'maintenance' }, { op: 'stats' });
    await b.get(`/vps/${server.id}`);
    expect(b.lastHtml).toMatch(/data-testid="graph-cpu-empty"/);
    const unavailable = /<p class="text-sm text-slate-600 dark:text-slate-300">([^<]+)<\/p>\s*<div class="grid gap-6/;
    expect(b.lastHtml).toMatch(unavailable);
    await b.get(`/vps/${server.id}`);
    expect(b.lastHtml).not.toMatch(unavailable);
    expect(providerReads()).toMatchObject({ stats: 2, transfer: 1, instance_ips: 1 });
  });

  it('keeps reads per instance: another organization’s server is still not found, and its reads are never shown', async () => {
    const theirs = await runningServer(w.oscar, w.globex, { label: 'globex-secret' });
    const ours = await runningServer(w.olivia, w.acme, { label: 'acme-own' });
    const oscar = await browserOf(w.oscar);
    await oscar.get(`/vps/${theirs.id}`);
    expect(oscar.lastHtml).toContain(theirs.ipv4[0]!);

    const olivia = await browserOf(w.olivia);
    w.cloud.emu.clearRequests();
    expect((await olivia.get(`/vps/${theirs.id}`)).status).toBe(404);
    expect(olivia.lastHtml).not.toContain('globex-secret');
    expect(olivia.lastHtml).not.toContain(theirs.ipv4[0]!);
    expect(w.cloud.emu.requests()).toHaveLength(0);
    await olivia.get(`/vps/${ours.id}`);
    expect(olivia.lastHtml).toContain(ours.ipv4[0]!);
    expect(olivia.lastHtml).not.toContain(theirs.ipv4[0]!);
    expect(providerReads()).toMatchObject({ stats: 1, transfer: 1, instance_ips: 1 });
  });
});

describe('queries compiled once', () => {
  it('run with each call’s values in their slots, keep the other values, and refuse a call missing one', async () => {
    const labels = compiledOnce((db) =>
      db
        .selectFrom('servers')
        .select('label')
        .where('organization_id', '=', slot<string>('orgId'))
        .where('status', '!=', 'deleted')
        .orderBy('label'),
    );
    const ours = await runningServer(w.olivia, w.acme, { label: 'slot-acme' });
    const theirs = await runningServer(w.oscar, w.globex, { label: 'slot-globex' });
    const acme = (await labels(w.ctx.db, { orgId: w.acme })).map((r) => r.label);
    const globex = (await labels(w.ctx.db, { orgId: w.globex })).map((r) => r.label);
    expect(acme).toContain(ours.label);
    expect(acme).not.toContain(theirs.label);
    expect(globex).toContain(theirs.label);
    expect(globex).not.toContain(ours.label);
    await expect(labels(w.ctx.db, {})).rejects.toThrow('no value for slot orgId');
  });
});
