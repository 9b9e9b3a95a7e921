import { describe, expect, it } from 'vitest';
import { setNotificationPreferences } from '../../src/domain/notifications/preferences.ts';
import { notify } from '../../src/domain/notifications/emit.ts';
import { sendBillingReminders } from '../../src/domain/notifications/reminders.ts';
import { runAction } from '../../src/domain/servers/actions.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { deleteServer } from '../../src/domain/servers/delete.ts';
import { settledTopUp } from '../billing/payments.ts';
import { fundWallet } from '../helpers/money.ts';
import { actorFor } from '../servers/helpers.ts';
import { customer, DAY, memberOf, run, serverOf, setBalance, settle, useDunningWorld } from '../dunning/helpers.ts';

/**
 * Notifications made by domain events (issue 14 item 6), to the right people: an
 * organization's events go to the members whose role may see what they are about (vps_view
 * for servers, billing_view for money), whoever did it is not told of their own act, a muted
 * category tells nobody, and an event emitted again tells nobody twice. Real PostgreSQL, the
 * Linode emulator behind the real client, the real dunning run on a test clock.
 *
 * The cast, per test in an organization of its own:
 *   owner   the organization's owner (every permission)
 *   vic     sees servers only (vps_view)
 *   bea     sees billing only (billing_view)
 *   sam     sees neither (notes_view)
 */
const w = useDunningWorld();

async function team(name: string) {
  const c = await customer(w, name);
  const vic = await memberOf(w, c.org, `Vic ${name}`, ['vps_view', 'notes_view']);
  const bea = await memberOf(w, c.org, `Bea ${name}`, ['billing_view']);
  const sam = await memberOf(w, c.org, `Sam ${name}`, ['notes_view']);
  return { ...c, vic, bea, sam };
}

/** The kinds (and a fact) of what `userId` was told, oldest first. */
async function told(userId: string, kind?: string) {
  let q = w.ctx.db
    .selectFrom('notifications')
    .select(['kind', 'organization_id', 'data', 'dedupe_key', 'read_at'])
    .where('user_id', '=', userId);
  if (kind) q = q.where('kind', '=', kind);
  return q.orderBy('created_at').orderBy('id').execute();
}
const kinds = async (userId: string) => (await told(userId)).map((n) => n.kind);
const serverKinds = async (userId: string) => (await kinds(userId)).filter((k) => k.startsWith('server.'));

describe('server events', () => {
  it('tell the members who may see servers: not whoever did it, not those who may not see servers', async () => {
    const t = await team('Acme Servers');
    const id = await serverOf(w, t.actor, 'web-1');

    // Created by the owner: Vic is told (by name), the owner is not; running: both.
    expect(await serverKinds(t.vic.id)).toEqual(['server.created', 'server.running']);
    expect(await serverKinds(t.owner.id)).toEqual(['server.running']);
    for (const p of [t.bea, t.sam]) expect(await kinds(p.id)).toEqual([]);
    const [created] = await told(t.vic.id, 'server.created');
    expect(created).toMatchObject({
      organization_id: t.org,
      data: { server_id: id, label: 'web-1', actor: t.owner.name, organization: t.owner.organization.name },
      read_at: null,
    });

    // A reboot by the owner tells Vic; running again after it is not news (told once per server).
    await runAction(w.ctx.deps, t.actor, id, { type: 'reboot' });
    await settle(w, id);
    expect(await serverKinds(t.vic.id)).toEqual(['server.created', 'server.running', 'server.power']);
    expect((await told(t.vic.id, 'server.power'))[0]!.data).toMatchObject({ action: 'rebooted', actor: t.owner.name });
    expect(await serverKinds(t.owner.id)).toEqual(['server.running']);

    // Deleted by the owner: Vic is told once, the owner (who did it) not.
    await deleteServer(w.ctx.deps, t.actor, id);
    await settle(w, id);
    expect((await serverKinds(t.vic.id)).at(-1)).toBe('server.deleted');
    expect(await serverKinds(t.owner.id)).toEqual(['server.running']);
    expect(await kinds(t.sam.id)).toEqual([]);
  });

  it('a power action by a member tells the owner; a muted servers category tells nobody', async () => {
    const t = await team('Beta Servers');
    const mia = await memberOf(w, t.org, 'Mia Manager', ['vps_view', 'vps_manage']);
    const id = await serverOf(w, t.actor, 'app-1');
    await setNotificationPreferences(w.ctx.deps, t.vic.id, {
      billing: true,
      maintenance: true,
      general: true,
      inApp: { servers: false },
    });
    await runAction(w.ctx.deps, actorFor(mia, t.org, 'vps_manager'), id, { type: 'shutdown' });
    await settle(w, id);
    const [power] = await told(t.owner.id, 'server.power');
    expect(power!.data).toMatchObject({ action: 'shut_down', actor: 'Mia Manager', label: 'app-1' });
    expect(await told(mia.id, 'server.power')).toEqual([]);
    expect(await told(t.vic.id, 'server.power')).toEqual([]);
  });

  it('a server the provider refuses tells everyone who sees servers, the one who created it too', async () => {
    const t = await team('Gamma Servers');
    await fundWallet(w.ctx.db, t.org, 1_000_000n);
    w.cloud.emu.inject({ type: 'validation', field: 'root_pass' }, { op: 'create_instance' });
    try {
      const { server } = await createServer(w.ctx.deps, t.actor, {
        label: 'refused-1',
        region: 'us-east',
        planId: w.catalogue.plans.small.id,
        image: w.catalogue.images[0]!,
      });
      expect(server.status).toBe('failed');
    } finally {
      w.cloud.emu.clearFaults();
    }
    const [failed] = await told(t.owner.id, 'server.failed');
    expect(failed!.data).toMatchObject({ label: 'refused-1', reason: 'Choose a stronger root password.' });
    expect(await serverKinds(t.vic.id)).toEqual(['server.created', 'server.failed']);
    expect(await kinds(t.bea.id)).toEqual([]);
  });
});

describe('billing events', () => {
  it('a credited top-up tells who may see billing, once however often PayPal reports it', async () => {
    const t = await team('Delta Billing');
    await settledTopUp(w.ctx.deps, t.org, 25_000_000n);
    for (const p of [t.owner, t.bea]) {
      const [n] = await told(p.id, 'billing.top_up');
      expect(n!.data).toMatchObject({ amount: '25000000', currency: 'USD' });
    }
    for (const p of [t.vic, t.sam]) expect(await kinds(p.id)).toEqual([]);
  });

  it('low balance: once a day per organization, however often the job runs', async () => {
    const t = await team('Epsilon Billing');
    await serverOf(w, t.actor, 'burner');
    await setBalance(w, t.org, 1_000_000n);
    await sendBillingReminders(w.ctx.deps);
    await sendBillingReminders(w.ctx.deps);
    expect(await told(t.bea.id, 'billing.low_balance')).toHaveLength(1);
    expect(await told(t.owner.id, 'billing.low_balance')).toHaveLength(1);
    expect(await told(t.vic.id, 'billing.low_balance')).toHaveLength(0);
    w.ctx.clock.advance(DAY);
    await sendBillingReminders(w.ctx.deps);
    expect(await told(t.bea.id, 'billing.low_balance')).toHaveLength(2);
  });

  it('arrears tell who sees billing once per case; a suspension also who sees servers', async () => {
    const t = await team('Zeta Billing');
    await serverOf(w, t.actor, 'web-z');
    await setBalance(w, t.org, -2_000_000n);
    await run(w);
    w.ctx.clock.advance(DAY);
    await run(w);
    expect(await told(t.bea.id, 'billing.arrears')).toHaveLength(1);
    expect((await told(t.bea.id, 'billing.arrears'))[0]!.data).toMatchObject({ balance: '-2000000' });
    expect(await told(t.vic.id, 'billing.arrears')).toHaveLength(0);
    // Past the suspension deadline (48 h here).
    w.ctx.clock.advance(DAY + 60_000);
    await run(w);
    for (const p of [t.owner, t.bea, t.vic]) {
      const [s] = await told(p.id, 'billing.suspension');
      expect(s?.data).toMatchObject({ servers: 1 });
    }
    expect(await kinds(t.sam.id)).toEqual([]);
  });
});

describe('emitting', () => {
  it('the same event twice tells each person once', async () => {
    const t = await team('Eta Keys');
    const event = {
      kind: 'billing.top_up' as const,
      key: `top_up:test-${t.org}`,
      data: { amount: '1', currency: 'USD' },
    };
    const to = { organizationId: t.org, permissions: ['billing_view' as const] };
    expect(await notify(w.ctx.db, to, event)).toBe(2);
    expect(await notify(w.ctx.db, to, event)).toBe(0);
    expect(await told(t.bea.id, 'billing.top_up')).toHaveLength(1);
  });

  it('a suspended account is not told', async () => {
    const t = await team('Theta Quiet');
    await w.ctx.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', t.bea.id).execute();
    await settledTopUp(w.ctx.deps, t.org, 5_000_000n);
    expect(await kinds(t.bea.id)).toEqual([]);
    expect(await kinds(t.owner.id)).toContain('billing.top_up');
  });
});
