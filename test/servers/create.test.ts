import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createServer, quoteServer } from '../../src/domain/servers/create.ts';
import { getServer } from '../../src/domain/servers/query.ts';
import { rootPasswordProblem } from '../../src/domain/servers/rules.ts';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import type { RealtimeEvent } from '../../src/db/notify.ts';
import { InsufficientFundsError } from '../../src/domain/ledger/post.ts';
import {
  actorFor,
  balanceOf,
  instanceOf,
  ledgerSum,
  moneyOf,
  queuedFollowUps,
  serverSettingsAre,
  setBalance,
  settle,
  smallServer,
  sshKeyOf,
  useServersWorld,
} from './helpers.ts';

const w = useServersWorld({ resolvesDomains: ['rdns.example.net'] });
const SMALL_RATE = hourlyRate(15_000_000n); // 12.00 + 3.00 markup a month
const TEN = 10_000_000n;

async function dbHour(): Promise<Date> {
  const { rows } = await sql<{ h: Date }>`select date_trunc('hour', now()) as h`.execute(w.ctx.db);
  return rows[0]!.h;
}

describe('creating a server', () => {
  it('records it and charges the current clock hour at the plan’s hourly rate in one go, then follows it to running', async () => {
    await setBalance(w, w.acme, TEN);
    const events: RealtimeEvent[] = [];
    const stop = w.ctx.hub.subscribe({
      userId: 'x',
      organizationIds: [w.acme],
      // A member who may see the organization's servers: status events go only to those.
      permissions: { [w.acme]: ['vps_view'] },
      isAdmin: false,
      send: (e) => events.push(e),
    });
    const before = await dbHour();

    const { server, generatedPassword } = await createServer(
      w.ctx.deps,
      w.olivia,
      smallServer(w, { label: 'Web-Main' }),
    );

    expect(server).toMatchObject({
      label: 'Web-Main',
      status: 'provisioning',
      region: 'us-east',
      regionLabel: 'New York',
    });
    expect(server.hourlyPrice).toBe(SMALL_RATE);
    expect(server.monthlyPrice).toBe(15_000_000n);
    expect(server.ipv4).toHaveLength(1);
    const { charges, refunds } = await moneyOf(w, server.id);
    expect(charges).toHaveLength(1);
    expect(refunds).toHaveLength(0);
    expect([before.getTime(), before.getTime() + 3_600_000]).toContain(charges[0]!.hour_start.getTime());
    expect(charges[0]).toMatchObject({
      amount: SMALL_RATE,
      rate: SMALL_RATE,
      currency: 'USD',
      organization_id: w.acme,
    });
    const posting = await w.ctx.db
      .selectFrom('ledger_transactions')
      .selectAll()
      .where('id', '=', charges[0]!.ledger_transaction_id!)
      .executeTakeFirstOrThrow();
    expect(posting.kind).toBe('vps_charge');
    expect(posting.idempotency_key).toBe(`vps:charge:${server.id}:${charges[0]!.hour_start.toISOString()}`);
    expect(await balanceOf(w, w.acme)).toBe(TEN - SMALL_RATE);
    const periods = await w.ctx.db
      .selectFrom('server_billing_periods')
      .selectAll()
      .where('server_id', '=', server.id)
      .execute();
    expect(periods).toEqual([
      {
        server_id: server.id,
        effective_from: charges[0]!.hour_start,
        plan_id: w.catalogue.plans.small.id,
        backups: false,
      },
    ]);

    // The provider has it, tagged, under a name made from the label.
    const row = await w.ctx.db.selectFrom('servers').selectAll().where('id', '=', server.id).executeTakeFirstOrThrow();
    const instance = (await instanceOf(w, server.id))!;
    expect(instance.tags).toEqual(expect.arrayContaining([row.create_tag, 'skypanel']));
    expect(instance.label).toMatch(/^Web-Main-[0-9a-f]{8}$/);
    expect(instance.type).toBe('g6-standard-1');

    // A generated password, shown once and kept nowhere.
    expect(generatedPassword).toHaveLength(24);
    expect(rootPasswordProblem(generatedPassword!)).toBeNull();
    const { rows } = await sql<{ n: string }>`
      select (select count(*) from servers s where s::text like ${'%' + generatedPassword + '%'})
           + (select count(*) from server_actions a where a::text like ${'%' + generatedPassword + '%'})
           + (select count(*) from activity_log l where l::text like ${'%' + generatedPassword + '%'})
           + (select count(*) from pgboss.job j where j.data::text like ${'%' + generatedPassword + '%'}) as n`.execute(
      w.ctx.db,
    );
    expect(Number(rows[0]!.n)).toBe(0);
    expect(JSON.stringify(w.cloud.emu.requests())).not.toContain(generatedPassword);

    // Its creation is recorded, and a follow-up is queued.
    const activity = await w.ctx.db.selectFrom('activity_log').selectAll().where('target_id', '=', server.id).execute();
    expect(activity.map((a) => a.action)).toEqual(['server.created']);
    expect(await queuedFollowUps(w, server.id)).toBe(1);

    expect(await settle(w, server.id)).toBe('running');
    expect((await getServer(w.ctx.deps, w.olivia, server.id)).status).toBe('running');
    const [create] = await w.ctx.db
      .selectFrom('server_actions')
      .selectAll()
      .where('server_id', '=', server.id)
      .execute();
    expect(create).toMatchObject({ type: 'create', status: 'completed' });
    await new Promise((r) => setTimeout(r, 200));
    stop();
    const mine = events.filter((e) => e.topic === 'server.status' && e.data?.id === server.id);
    expect(mine.map((e) => e.data)).toContainEqual({ id: server.id, status: 'running', label: 'Web-Main' });
  });

  it('charges the first hour with backups at the rate of the backups-included monthly price, rounded once', async () => {
    await setBalance(w, w.acme, TEN);
    const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w, { backups: true, privateIp: 'on' }));
    const { charges } = await moneyOf(w, server.id);
    expect(charges[0]!.amount).toBe(hourlyRate(18_000_000n));
    expect(server).toMatchObject({ backupsEnabled: true, privateIp: true, monthlyPrice: 18_000_000n });
    expect((await instanceOf(w, server.id))!.backups.enabled).toBe(true);
  });

  it('quotes the hour, the month and the balance the first hour leaves', async () => {
    await setBalance(w, w.acme, TEN);
    const quote = await quoteServer(w.ctx.deps, w.olivia, {
      planId: w.catalogue.plans.medium.id,
      region: 'eu-central',
    });
    expect(quote).toEqual({
      hourly: hourlyRate(30_000_000n),
      monthly: 30_000_000n,
      currency: 'USD',
      balance: TEN,
      balanceAfterFirstHour: TEN - hourlyRate(30_000_000n),
    });
    await expect(
      quoteServer(w.ctx.deps, w.olivia, { planId: w.catalogue.plans.dedicated.id, region: 'ap-south' }),
    ).rejects.toMatchObject({ status: 422, fields: { region: expect.any(String) } });
  });

  it('uses a typed root password and the organization’s SSH keys, and returns no password', async () => {
    await setBalance(w, w.acme, TEN);
    const key = await sshKeyOf(w, w.acme);
    w.cloud.emu.clearRequests();
    const { server, generatedPassword } = await createServer(
      w.ctx.deps,
      w.olivia,
      smallServer(w, { rootPassword: 'Correct-Horse-42-Battery', sshKeyIds: [key.id] }),
    );
    expect(generatedPassword).toBeNull();
    const create = w.cloud.emu.requests().find((r) => r.op === 'create_instance')!;
    expect(create.body).toMatchObject({ authorized_keys: [key.publicKey], root_pass: '[redacted]' });
    expect(server.status).toBe('provisioning');
  });

  it('installs an allowed app with the fields the customer may fill', async () => {
    await setBalance(w, w.acme, TEN);
    w.cloud.emu.clearRequests();
    const { server } = await createServer(
      w.ctx.deps,
      w.olivia,
      smallServer(w, {
        appId: w.catalogue.appId,
        appData: { soa_email_address: 'ops@example.com', site_title: 'My blog' },
      }),
    );
    expect(server.appId).toBe(w.catalogue.appId);
    const create = w.cloud.emu.requests().find((r) => r.op === 'create_instance')!;
    expect(create.body).toMatchObject({
      stackscript_id: 401697,
      stackscript_data: { soa_email_address: 'ops@example.com', site_title: 'My blog' },
    });
  });

  it('names each new IPv4 a-b-c-d.<base> when staff set an rDNS base domain', async () => {
    await setBalance(w, w.acme, TEN);
    await serverSettingsAre(w, { salesEnabled: true, rdnsBaseDomain: 'rdns.example.net' });
    try {
      const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w));
      const ip = server.ipv4[0]!;
      const address = w.cloud.emu.state.ips.get(ip);
      expect(address?.rdns).toBe(`${ip.replace(/\./g, '-')}.rdns.example.net`);
    } finally {
      await serverSettingsAre(w, { salesEnabled: true, rdnsBaseDomain: null });
    }
  });

  it('keeps the server when the automatic rDNS fails (logged, not fatal)', async () => {
    await setBalance(w, w.acme, TEN);
    await serverSettingsAre(w, { salesEnabled: true, rdnsBaseDomain: 'elsewhere.example.org' });
    try {
      const { server } = await createServer(w.ctx.deps, w.olivia, smallServer(w));
      expect(server.status).toBe('provisioning');
      expect((await moneyOf(w, server.id)).refunds).toHaveLength(0);
    } finally {
      await serverSettingsAre(w, { salesEnabled: true, rdnsBaseDomain: null });
    }
  });
});

describe('what a create refuses before anything is recorded or charged', () => {
  async function refused(input: Record<string, unknown>, fields: Record<string, unknown>) {
    const servers = await w.ctx.db.selectFrom('servers').select('id').execute();
    const instances = w.cloud.emu.instances().length;
    await setBalance(w, w.acme, TEN);
    await expect(createServer(w.ctx.deps, w.olivia, smallServer(w, input))).rejects.toMatchObject({
      status: 422,
      fields,
    });
    expect(await w.ctx.db.selectFrom('servers').select('id').execute()).toHaveLength(servers.length);
    expect(w.cloud.emu.instances()).toHaveLength(instances);
    expect(await balanceOf(w, w.acme)).toBe(TEN);
  }

  it('a label that is empty, too long, has other characters, or is another live server’s (any case)', async () => {
    await refused({ label: '' }, { label: expect.any(String) });
    await refused({ label: 'x'.repeat(65) }, { label: expect.any(String) });
    await refused({ label: 'web server!' }, { label: expect.any(String) });
    await setBalance(w, w.acme, TEN);
    await createServer(w.ctx.deps, w.olivia, smallServer(w, { label: 'db.primary' }));
    await refused({ label: 'DB.Primary' }, { label: 'Another server in this organization already has this name.' });
    // Another organization may use it.
    await setBalance(w, w.globex, TEN);
    await expect(createServer(w.ctx.deps, w.oscar, smallServer(w, { label: 'db.primary' }))).resolves.toBeDefined();
  });

  it('a plan that is unknown, inactive or not sold in the region; an image or app not allowed', async () => {
    await refused({ planId: 'nope' }, { plan_id: expect.any(String) });
    await refused({ planId: '00000000-0000-4000-8000-000000000000' }, { plan_id: expect.any(String) });
    await refused({ planId: w.catalogue.plans.dedicated.id, region: 'ap-south' }, { region: expect.any(String) });
    await refused({ region: 'mars-1' }, { region: expect.any(String) });
    await refused({ image: 'windows' }, { image: 'Choose an image from the list.' });
    await refused({ appId: '00000000-0000-4000-8000-000000000000' }, { app_id: expect.any(String) });
    await refused(
      { appId: w.catalogue.appId, appData: { admin_password: 'x' } },
      { 'app_data.admin_password': expect.any(String) },
    );
    await w.ctx.db
      .updateTable('server_plans')
      .set({ active: false })
      .where('id', '=', w.catalogue.plans.medium.id)
      .execute();
    try {
      await refused({ planId: w.catalogue.plans.medium.id }, { plan_id: 'Choose a plan from the list.' });
    } finally {
      await w.ctx.db
        .updateTable('server_plans')
        .set({ active: true })
        .where('id', '=', w.catalogue.plans.medium.id)
        .execute();
    }
  });

  it('a weak root password, and SSH keys that are not the organization’s', async () => {
    await refused({ rootPassword: 'short' }, { root_password: expect.any(String) });
    await refused({ rootPassword: 'alllowercaseletters' }, { root_password: expect.stringMatching(/weak/i) });
    const foreign = await sshKeyOf(w, w.globex);
    await refused({ sshKeyIds: [foreign.id] }, { ssh_key_ids: expect.any(String) });
    await refused({ sshKeyIds: ['not-an-id'] }, { ssh_key_ids: expect.any(String) });
  });

  it('everything when VPS sales are off', async () => {
    await serverSettingsAre(w, { salesEnabled: false, rdnsBaseDomain: null });
    try {
      await expect(createServer(w.ctx.deps, w.olivia, smallServer(w))).rejects.toMatchObject({
        status: 422,
        code: 'sales_closed',
      });
    } finally {
      await serverSettingsAre(w, { salesEnabled: true, rdnsBaseDomain: null });
    }
  });

  it('a balance that does not cover the first hour, with a clear message', async () => {
    await setBalance(w, w.acme, SMALL_RATE - 1n);
    const servers = (await w.ctx.db.selectFrom('servers').select('id').execute()).length;
    const err = await createServer(w.ctx.deps, w.olivia, smallServer(w)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientFundsError);
    expect((err as Error).message).toBe(
      'The wallet balance ($0.02) does not cover the first hour of this server ($0.0205). Add funds and try again.',
    );
    expect(await w.ctx.db.selectFrom('servers').select('id').execute()).toHaveLength(servers);
    expect(await balanceOf(w, w.acme)).toBe(SMALL_RATE - 1n);
  });

  it('a member without vps_create (403), and anyone outside an organization (404)', async () => {
    const viewer = actorFor({ id: w.olivia.userId }, w.acme, 'viewer');
    await expect(createServer(w.ctx.deps, viewer, smallServer(w))).rejects.toMatchObject({ status: 403 });
    await expect(createServer(w.ctx.deps, { ...w.olivia, organizationId: null }, smallServer(w))).rejects.toMatchObject(
      { status: 404 },
    );
  });
});

describe('creates at the same time', () => {
  it('30 concurrent creates with money for one make one server and one charge', async () => {
    await setBalance(w, w.globex, SMALL_RATE);
    const before = (await w.ctx.db.selectFrom('servers').select('id').where('organization_id', '=', w.globex).execute())
      .length;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => createServer(w.ctx.deps, w.oscar, smallServer(w, { label: `race-${i}` }))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused.every((r) => (r as PromiseRejectedResult).reason instanceof InsufficientFundsError)).toBe(true);
    const servers = await w.ctx.db.selectFrom('servers').select('id').where('organization_id', '=', w.globex).execute();
    expect(servers).toHaveLength(before + 1);
    const charges = await w.ctx.db
      .selectFrom('server_charges')
      .select('amount')
      .where('server_id', '=', (ok[0] as PromiseFulfilledResult<{ server: { id: string } }>).value.server.id)
      .execute();
    expect(charges).toEqual([{ amount: SMALL_RATE }]);
    expect(await balanceOf(w, w.globex)).toBe(0n);
    expect(await ledgerSum(w, w.globex)).toBe(0n);
  });

  it('the same Idempotency-Key, even at once, makes one server and one charge, and answers with it', async () => {
    await setBalance(w, w.acme, TEN);
    const input = smallServer(w);
    const [a, b] = await Promise.all([
      createServer(w.ctx.deps, w.olivia, input, { idempotencyKey: 'key-1' }),
      createServer(w.ctx.deps, w.olivia, input, { idempotencyKey: 'key-1' }),
    ]);
    const c = await createServer(w.ctx.deps, w.olivia, input, { idempotencyKey: 'key-1' });
    expect(b.server.id).toBe(a.server.id);
    expect(c.server.id).toBe(a.server.id);
    expect([a.generatedPassword, b.generatedPassword].filter(Boolean)).toHaveLength(1);
    expect(c.generatedPassword).toBeNull();
    expect((await moneyOf(w, a.server.id)).charges).toHaveLength(1);
    expect(await balanceOf(w, w.acme)).toBe(TEN - SMALL_RATE);
    // Another key is another server.
    const d = await createServer(w.ctx.deps, w.olivia, smallServer(w), { idempotencyKey: 'key-2' });
    expect(d.server.id).not.toBe(a.server.id);
  });
});
