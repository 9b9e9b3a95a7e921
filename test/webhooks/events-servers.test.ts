import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhooksDeliverJob } from '../../jobs/webhooks-deliver.ts';
import { sendBillingReminders } from '../../src/domain/notifications/reminders.ts';
import { deleteServer } from '../../src/domain/servers/delete.ts';
import { createEndpoint } from '../../src/domain/webhooks/index.ts';
import { person } from '../api/client.ts';
import { runQueued } from '../helpers/jobs.ts';
import {
  balanceOf,
  customer,
  HOUR,
  run,
  serverOf,
  setBalance,
  SUSPEND_HOURS,
  useDunningWorld,
} from '../dunning/helpers.ts';
import { allowLoopback, outboxOf, startReceiver, verifySignature, type Receiver } from './helpers.ts';

/**
 * Every server and wallet event comes from the real action that causes it: Olive creates a
 * server (vps.created), the provider finishes it (vps.running), her balance goes below zero
 * (wallet.arrears), dunning suspends it (vps.suspended) and she deletes it (vps.deleted). Her
 * endpoint subscribes to `vps.*` and `wallet.*`; her receiver verifies every signature.
 */
const w = useDunningWorld();
let receiver: Receiver;
let olive: Awaited<ReturnType<typeof customer>>;
let secret: string;

beforeAll(async () => {
  receiver = await startReceiver();
  const ada = await person(w.ctx, 'Ada Admin', { isAdmin: true });
  await allowLoopback(w.ctx, ada.id);
  olive = await customer(w, 'Olive Owner');
  ({ secret } = await createEndpoint(w.ctx.deps, olive.actor, { url: receiver.url, events: ['vps.*', 'wallet.*'] }));
});
afterAll(() => receiver.close());

const deliverAll = () => runQueued(w.ctx, 'webhooks.deliver', (data) => webhooksDeliverJob(w.ctx.deps, data, null));
const typesReceived = () => receiver.received.map((r) => JSON.parse(r.body).type as string);

describe('server and wallet events, from the actions that cause them', () => {
  it('a server created and running sends vps.created then vps.running, with its id and label', async () => {
    const serverId = await serverOf(w, olive.actor, 'web-hooked');
    await deliverAll();
    // Deliveries are not ordered: receivers read created_at.
    expect(typesReceived().sort()).toEqual(['vps.created', 'vps.running']);
    for (const r of receiver.received) {
      const body = JSON.parse(r.body);
      expect(body.data).toMatchObject({ server_id: serverId, label: 'web-hooked' });
      expect(
        verifySignature(
          secret,
          String(r.headers['skypanel-signature']),
          r.body,
          Math.floor(w.ctx.clock.now().getTime() / 1000),
        ),
      ).toBe(true);
    }
    const created = receiver.received.find((r) => JSON.parse(r.body).type === 'vps.created')!;
    expect(JSON.parse(created.body).data).toMatchObject({ region: 'us-east', plan: expect.any(String) });
  });

  it('a low balance sends wallet.low once that day, with the balance', async () => {
    receiver.received.length = 0;
    await setBalance(w, olive.org, 500_000n);
    await sendBillingReminders(w.ctx.deps);
    await sendBillingReminders(w.ctx.deps);
    await deliverAll();
    expect(typesReceived()).toEqual(['wallet.low']);
    expect(JSON.parse(receiver.received[0]!.body).data).toMatchObject({ balance: '0.500000', currency: 'USD' });
  });

  it('arrears send wallet.arrears once per case, and dunning’s suspension sends vps.suspended', async () => {
    receiver.received.length = 0;
    await setBalance(w, olive.org, -7_500_000n);
    await run(w);
    await run(w);
    await deliverAll();
    expect(typesReceived()).toEqual(['wallet.arrears']);
    expect(JSON.parse(receiver.received[0]!.body).data).toMatchObject({ balance: '-7.500000', currency: 'USD' });
    w.ctx.clock.advance(SUSPEND_HOURS * HOUR);
    await run(w);
    await deliverAll();
    expect(typesReceived()).toEqual(['wallet.arrears', 'vps.suspended']);
    expect(JSON.parse(receiver.received[1]!.body).data).toMatchObject({ label: 'web-hooked', reason: 'dunning' });
  });

  it('deleting the server sends vps.deleted once, and the wallet still equals its ledger', async () => {
    receiver.received.length = 0;
    await setBalance(w, olive.org, 5_000_000n);
    await run(w);
    const [server] = await w.ctx.db
      .selectFrom('servers')
      .select('id')
      .where('organization_id', '=', olive.org)
      .execute();
    w.cloud.emu.settle();
    await deleteServer(w.ctx.deps, olive.actor, server!.id);
    await deliverAll();
    expect(typesReceived().filter((t) => t === 'vps.deleted')).toHaveLength(1);
    expect(
      JSON.parse(receiver.received.find((r) => JSON.parse(r.body).type === 'vps.deleted')!.body).data,
    ).toMatchObject({
      server_id: server!.id,
      by: 'member',
    });
    const ledger = await w.ctx.db
      .selectFrom('ledger_entries as e')
      .innerJoin('wallets as wl', 'wl.id', 'e.wallet_id')
      .select((eb) => eb.fn.sum<string>('e.amount').as('sum'))
      .where('wl.organization_id', '=', olive.org)
      .executeTakeFirstOrThrow();
    expect(BigInt(ledger.sum ?? 0)).toBe(await balanceOf(w, olive.org));
    const all = await outboxOf(w.ctx, olive.org);
    expect(all.every((d) => d.status === 'succeeded')).toBe(true);
  });
});
