import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/index.ts';
import { DATA_CHANNEL, DataCache } from '../../src/lib/data-cache.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { sql } from 'kysely';
import type { Actor } from '../../src/domain/access/actor.ts';
import { PERMISSIONS } from '../../src/domain/access/permissions.ts';
import { serverPage } from '../../src/domain/servers/page.ts';

/**
 * The data cache (src/lib/data-cache.ts): what it keeps and forgets by itself, the triggers that
 * tell every process what changed (migration 0021), and two app instances on one database —
 * a balance changed through one shows on the other's next page (NOTIFY), and on the instance
 * that changed it at once (its own writes forget without waiting).
 */
describe('DataCache', () => {
  const active = () => {
    const cache = new DataCache();
    cache.setListening(true);
    return cache;
  };
  const counter = () => {
    let n = 0;
    return {
      load: async () => ++n,
      get count() {
        return n;
      },
    };
  };

  it('reads through while not listening, and keeps once it listens', async () => {
    const cache = new DataCache();
    const c = counter();
    await cache.read('k', ['org-a'], c.load);
    await cache.read('k', ['org-a'], c.load);
    expect(c.count).toBe(2);
    cache.setListening(true);
    expect(await cache.read('k', ['org-a'], c.load)).toBe(3);
    expect(await cache.read('k', ['org-a'], c.load)).toBe(3);
    expect(cache.stats).toMatchObject({ size: 1, hits: 1, misses: 1 });
    // Losing the LISTEN connection forgets everything and reads through again.
    cache.setListening(false);
    expect(await cache.read('k', ['org-a'], c.load)).toBe(4);
  });

  it('forgets only what depends on a notified scope', async () => {
    const cache = active();
    const a = counter();
    const b = counter();
    await cache.read('a', ['org-a', 'catalogue'], a.load);
    await cache.read('b', ['org-b'], b.load);
    cache.notified('org-b,user:someone');
    expect(await cache.read('a', ['org-a', 'catalogue'], a.load)).toBe(1);
    expect(await cache.read('b', ['org-b'], b.load)).toBe(2);
    cache.notified('catalogue');
    expect(await cache.read('a', ['org-a', 'catalogue'], a.load)).toBe(2);
    cache.notified('*');
    expect(cache.stats.size).toBe(0);
  });

  it('takes scopes from the loaded value', async () => {
    const cache = active();
    let orgs = ['org-a', 'org-b'];
    const load = async () => [...orgs];
    await cache.read('orgs:u', (v) => ['user:u', ...v], load);
    orgs = ['org-a'];
    expect(await cache.read('orgs:u', (v) => ['user:u', ...v], load)).toEqual(['org-a', 'org-b']);
    cache.notified('org-b');
    expect(await cache.read('orgs:u', (v) => ['user:u', ...v], load)).toEqual(['org-a']);
  });

  it('does not keep a read that an invalidation overtook', async () => {
    const cache = active();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stale = cache.read('k', ['org-a'], async () => {
      await gate;
      return 'old';
    });
    cache.notified('org-a');
    release();
    expect(await stale).toBe('old');
    expect(await cache.read('k', ['org-a'], async () => 'new')).toBe('new');
  });

  it('shares one load between concurrent reads, and never keeps a failure', async () => {
    const cache = active();
    const c = counter();
    const slow = async () => {
      await new Promise((r) => setImmediate(r));
      return c.load();
    };
    const [x, y] = await Promise.all([cache.read('k', [], slow), cache.read('k', [], slow)]);
    expect([x, y, c.count]).toEqual([1, 1, 1]);
    await expect(cache.read('bad', [], () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.read('bad', [], async () => 'up')).toBe('up');
  });

  it('reads again after its time to live', async () => {
    const cache = new DataCache({ ttlMs: 0 });
    cache.setListening(true);
    const c = counter();
    await cache.read('k', [], c.load);
    await new Promise((r) => setTimeout(r, 5));
    expect(await cache.read('k', [], c.load)).toBe(2);
  });
});

let a: TestContext;
let b: TestContext;
let bDb: Db;
let listener: pg.Client;
const heard: string[] = [];

beforeAll(async () => {
  a = await createTestContext();
  bDb = createDb(a.url, 4);
  b = await createTestContext({}, { shareDatabase: { url: a.url, db: bDb } });
  listener = new pg.Client({ connectionString: a.url });
  await listener.connect();
  listener.on('notification', (m) => heard.push(m.payload ?? ''));
  await listener.query(`LISTEN ${DATA_CHANNEL}`);
});
afterAll(async () => {
  await listener.end();
  await b.close();
  await bDb.destroy();
  await a.close();
});

/** Resolves once `instance` has heard that `org`'s data changed (or everything: '*'). */
function heardBy(instance: TestContext, org: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const original = instance.deps.cache.notified.bind(instance.deps.cache);
    instance.deps.cache.notified = (payload) => {
      original(payload);
      if (payload?.includes(org) || payload === '*') {
        instance.deps.cache.notified = original;
        resolve();
      }
    };
  });
}

/** A running server of `person`'s organization on a catalogue of its own, written as it is stored. */
async function runningServerOf(person: { id: string; organization: { id: string } }, cloud: string, label: string) {
  const catalogue = await seedServerCatalogue(a.db, { name: cloud });
  const server = await a.db
    .insertInto('servers')
    .values({
      organization_id: person.organization.id,
      provider_id: catalogue.providerId,
      label,
      status: 'running',
      region: 'us-east',
      plan_id: catalogue.plans.small.id,
      image: 'private/debian12',
      create_tag: `sp-${label}-${Date.now()}`,
      created_by: person.id,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { catalogue, server };
}

/** The notifications that arrive while `write` runs (and a moment after: NOTIFY is sent at commit). */
async function notifiedBy(write: () => Promise<unknown>): Promise<string[]> {
  // Earlier commits' notifications are delivered before this round trip answers: not counted.
  await listener.query('select 1');
  heard.length = 0;
  await write();
  // A round trip on the listening connection: notifications committed before it are delivered first.
  await listener.query('select 1');
  return [...heard];
}

describe('change triggers (migration 0021)', () => {
  it('name an organization when its wallet moves, and a user and the organization when a membership changes', async () => {
    const person = await createPerson(a, 'Notified Nora', { verified: true });
    const org = person.organization.id;
    expect(await notifiedBy(() => fundWallet(a.db, org, 5_000_000n))).toEqual([org]);
    const member = await a.db
      .selectFrom('organization_members')
      .select(['role_id'])
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    const got = await notifiedBy(() =>
      a.db
        .updateTable('organization_members')
        .set({ role_id: member.role_id })
        .where('organization_id', '=', org)
        .execute(),
    );
    expect(got).toHaveLength(1);
    expect(got[0]!.split(',').sort()).toEqual([org, `user:${person.id}`].sort());
  });

  it("say 'catalogue' for catalogue tables, and '*' when a statement touches over 100 organizations", async () => {
    expect(
      await notifiedBy(() =>
        a.db
          .updateTable('server_regions')
          .set({ label: (eb) => eb.ref('label') })
          .execute(),
      ),
    ).toEqual(['catalogue']);
    expect(
      await notifiedBy(() =>
        a.db
          .insertInto('platform_settings')
          .values({ key: 'data-cache-test', value: JSON.stringify(true) })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(true) }))
          .execute(),
      ),
    ).toEqual(['catalogue']);
    // 101 organizations' wallets in one statement (a no-op update, as the hourly run's is not).
    for (let i = 0; i < 101; i++) await createPerson(a, `Bulk Person ${i}`, { verified: true });
    expect(
      await notifiedBy(() =>
        a.db
          .updateTable('wallets')
          .set({ balance: (eb) => eb.ref('balance') })
          .execute(),
      ),
    ).toEqual(['*']);
  });

  it('name the organization when a top-up or its screening changes (migration 0044: the billing page shows them)', async () => {
    const person = await createPerson(a, 'Paying Paula', { verified: true });
    const org = person.organization.id;
    const inserted = await notifiedBy(() =>
      a.db
        .insertInto('payments')
        .values({ organization_id: org, amount: 10_000_000n, currency: 'USD', status: 'pending' })
        .execute(),
    );
    expect(inserted).toEqual([org]);
    expect(
      await notifiedBy(() =>
        a.db.updateTable('payments').set({ status: 'failed' }).where('organization_id', '=', org).execute(),
      ),
    ).toEqual([org]);
  });

  it("name the organization when what a server's page shows changes: actions, charges, refunds, firewalls, notes (migration 0047)", async () => {
    const person = await createPerson(a, 'Server Sam', { verified: true });
    const org = person.organization.id;
    const { catalogue, server } = await runningServerOf(person, 'Page cloud', 'paged');
    const action = await notifiedBy(() =>
      a.db
        .insertInto('server_actions')
        .values({ server_id: server.id, organization_id: org, type: 'reboot', status: 'pending' })
        .execute(),
    );
    expect(action).toEqual([org]);
    expect(
      await notifiedBy(() =>
        a.db.updateTable('server_actions').set({ status: 'completed' }).where('server_id', '=', server.id).execute(),
      ),
    ).toEqual([org]);
    expect(
      await notifiedBy(() =>
        a.db
          .insertInto('server_charges')
          .values({
            server_id: server.id,
            hour_start: new Date('2026-12-01T00:00:00Z'),
            organization_id: org,
            amount: 0n,
            rate: 0n,
            currency: 'USD',
          })
          .execute(),
      ),
    ).toEqual([org]);
    const firewall = await a.db
      .insertInto('firewalls')
      .values({
        organization_id: org,
        provider_id: catalogue.providerId,
        label: 'page-firewall',
        rules: JSON.stringify({}),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    // firewall_servers names no organization: the trigger finds it through the server.
    expect(
      await notifiedBy(() =>
        a.db.insertInto('firewall_servers').values({ firewall_id: firewall.id, server_id: server.id }).execute(),
      ),
    ).toEqual([org]);
    expect(
      await notifiedBy(() =>
        a.db.insertInto('notes').values({ organization_id: org, server_id: server.id, body: 'hello' }).execute(),
      ),
    ).toEqual([org]);
    // Refunds (through the server, as firewall_servers) need a ledger transaction to insert: their triggers are checked as such.
    const triggers = await a.db
      .selectFrom('pg_trigger' as never)
      .select(sql<string>`tgname`.as('name'))
      .where(sql<boolean>`tgrelid = 'server_charge_refunds'::regclass and not tgisinternal`)
      .execute();
    expect(triggers.map((t) => t.name).sort()).toEqual([
      'server_charge_refunds_deleted_data',
      'server_charge_refunds_inserted_data',
      'server_charge_refunds_updated_data',
    ]);
  });

  it('say nothing for writes the cache does not hold', async () => {
    const person = await createPerson(a, 'Quiet Quinn', { verified: true });
    expect(
      await notifiedBy(() =>
        a.db.updateTable('users').set({ name: 'Quiet Quinn Again' }).where('id', '=', person.id).execute(),
      ),
    ).toEqual([]);
  });
});

describe('cached pages across instances', () => {
  const balanceOn = async (browser: TestBrowser) =>
    /data-testid="wallet-balance">([^<]*)</.exec(await (await browser.get('/dashboard')).text())?.[1];

  it("B's dashboard shows a balance changed through A, once B hears of it", async () => {
    const person = await createPerson(a, 'Two Instances Tom', { verified: true });
    const onA = await signedIn(a, person.email);
    const onB = new TestBrowser(b.app);
    for (const [k, v] of onA.cookies) onB.cookies.set(k, v);
    expect(await balanceOn(onB)).toBe('$0.00');
    expect(b.deps.cache.active).toBe(true);
    expect(b.deps.cache.stats.size).toBeGreaterThan(0);

    const bHeard = heardBy(b, person.organization.id);
    expect(await balanceOn(onA)).toBe('$0.00');
    // A's own write: A forgets at once, without its notification (deafened here to prove it).
    const aNotified = a.deps.cache.notified;
    a.deps.cache.notified = () => undefined;
    try {
      await fundWallet(a.db, person.organization.id, 12_340_000n);
      expect(await balanceOn(onA)).toBe('$12.34');
    } finally {
      a.deps.cache.notified = aNotified;
    }
    await bHeard;
    expect(await balanceOn(onB)).toBe('$12.34');
  });
});

describe("a server's page across instances", () => {
  it("B's copy of a server page is forgotten when an action is recorded through A, and A's at once", async () => {
    const person = await createPerson(a, 'Paged Pat', { verified: true });
    const org = person.organization.id;
    const { catalogue, server } = await runningServerOf(person, 'Across cloud', 'across');
    const actor: Actor = {
      userId: person.id,
      isPlatformAdmin: false,
      organizationId: org,
      roleName: 'owner',
      permissions: new Set(PERMISSIONS),
      impersonatorUserId: null,
      apiKeyId: null,
      origin: { ip: '192.0.2.1', userAgent: null },
    };
    // B hears of the writes above a moment later (a read they overtake is not kept): until then
    // each read may be a new one. Then it is kept: the same page again, without a query.
    let onB = await serverPage(b.deps, actor, server.id);
    for (let i = 0; i < 100; i++) {
      const next = await serverPage(b.deps, actor, server.id);
      if (next === onB) break;
      onB = next;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await serverPage(b.deps, actor, server.id)).toBe(onB);
    expect(onB.actions).toEqual([]);
    const onA = await serverPage(a.deps, actor, server.id);
    // Another organization's actor finds nothing, though the page is cached.
    await expect(serverPage(b.deps, { ...actor, organizationId: catalogue.providerId }, server.id)).rejects.toThrow(
      /not found|no such/i,
    );

    const bHeard = heardBy(b, org);
    const aNotified = a.deps.cache.notified;
    a.deps.cache.notified = () => undefined;
    try {
      await a.db
        .insertInto('server_actions')
        .values({ server_id: server.id, organization_id: org, type: 'reboot', status: 'pending' })
        .execute();
      // A's own write forgets at once (its notification is deafened here).
      const again = await serverPage(a.deps, actor, server.id);
      expect(again).not.toBe(onA);
      expect(again.actions.map((x) => x.type)).toEqual(['reboot']);
    } finally {
      a.deps.cache.notified = aNotified;
    }
    await bHeard;
    const later = await serverPage(b.deps, actor, server.id);
    expect(later.actions.map((x) => x.type)).toEqual(['reboot']);
    expect(later.mark).not.toBe(onB.mark);
  });
});

describe('the billing page across instances', () => {
  it("B's /billing shows a top-up started through A once B hears of it, and A's at once", async () => {
    const person = await createPerson(a, 'Billing Bea', { verified: true });
    const org = person.organization.id;
    const onA = await signedIn(a, person.email);
    const onB = new TestBrowser(b.app);
    for (const [k, v] of onA.cookies) onB.cookies.set(k, v);
    const billing = async (browser: TestBrowser) => (await browser.get('/billing')).text();
    expect(await billing(onB)).not.toContain('Top-ups in progress');
    expect(await billing(onA)).not.toContain('Top-ups in progress');

    const bHeard = heardBy(b, org);
    const aNotified = a.deps.cache.notified;
    a.deps.cache.notified = () => undefined;
    try {
      await a.db
        .insertInto('payments')
        .values({ organization_id: org, amount: 25_000_000n, currency: 'USD', status: 'pending' })
        .execute();
      // A's own write forgets at once (its notification is deafened here).
      expect(await billing(onA)).toContain('Top-ups in progress');
    } finally {
      a.deps.cache.notified = aNotified;
    }
    await bHeard;
    const onBNow = await billing(onB);
    expect(onBNow).toContain('Top-ups in progress');
    expect(onBNow).toContain('$25.00');
  });
});
