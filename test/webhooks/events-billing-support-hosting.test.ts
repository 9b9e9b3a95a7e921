import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { webhooksDeliverJob } from '../../jobs/webhooks-deliver.ts';
import { adminSuspendHostingService } from '../../src/domain/hosting/admin-actions.ts';
import { cancelService } from '../../src/domain/hosting/cancel.ts';
import { purchaseHosting } from '../../src/domain/hosting/purchase.ts';
import { settleCapture } from '../../src/domain/payments/settlement.ts';
import { staffReply } from '../../src/domain/support/staff.ts';
import { openTicket, replyToTicket } from '../../src/domain/support/tickets.ts';
import { createEndpoint } from '../../src/domain/webhooks/index.ts';
import { toDecimal } from '../../src/lib/money.ts';
import { settledTopUp } from '../billing/payments.ts';
import { staff, useStoreWorld, usd } from '../hosting/purchase-helpers.ts';
import { runQueued } from '../helpers/jobs.ts';
import { allowLoopback, startReceiver, type Receiver } from './helpers.ts';

/**
 * Olive (Acme's owner, funded) subscribes an endpoint to every event (`vps.*`, `wallet.*`,
 * `invoice.issued`, `ticket.*`, `hosting.*`) and each event comes from the real action: a
 * PayPal top-up credited (and its receipt issued), a ticket opened and answered, a web hosting
 * service bought, suspended by staff and cancelled. Sam is the platform's staff.
 */
const w = useStoreWorld();
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  await allowLoopback(w.ctx, w.samId);
  await createEndpoint(w.ctx.deps, w.olive.actor, {
    url: receiver.url,
    events: ['vps.*', 'wallet.*', 'invoice.issued', 'ticket.*', 'hosting.*'],
  });
});
afterAll(() => receiver.close());

const deliverAll = () => runQueued(w.ctx, 'webhooks.deliver', (data) => webhooksDeliverJob(w.ctx.deps, data, null));
async function eventsSent(): Promise<{ type: string; data: Record<string, unknown> }[]> {
  await deliverAll();
  const sent = receiver.received.map((r) => JSON.parse(r.body));
  receiver.received.length = 0;
  return sent;
}

describe('money, support and hosting events, from the actions that cause them', () => {
  it('a top-up credited sends wallet.credited and its receipt invoice.issued; the same capture again sends nothing', async () => {
    const { paymentId, captureId } = await settledTopUp(w.ctx.deps, w.olive.orgId, usd(25));
    const sent = await eventsSent();
    expect(sent.map((e) => e.type).sort()).toEqual(['invoice.issued', 'wallet.credited']);
    expect(sent.find((e) => e.type === 'wallet.credited')!.data).toEqual({
      payment_id: paymentId,
      amount: toDecimal(usd(25), 6),
      currency: 'USD',
    });
    expect(sent.find((e) => e.type === 'invoice.issued')!.data).toMatchObject({
      kind: 'receipt',
      payment_id: paymentId,
      total: '25.000000',
      number: expect.any(String),
    });
    // PayPal tells us again (a webhook after the return page): credited once, told once.
    await settleCapture(w.ctx.deps, {
      paymentId,
      capture: {
        id: captureId,
        status: 'COMPLETED',
        amount: { currency_code: 'USD', value: '25.00' },
        custom_id: w.olive.orgId,
        invoice_id: paymentId,
      },
    });
    expect(await eventsSent()).toEqual([]);
  });

  it('a ticket opened sends ticket.opened; support’s reply and Olive’s reply each send ticket.replied; an internal note sends nothing', async () => {
    const { id: ticketId } = await openTicket(w.ctx.deps, w.olive.actor, {
      subject: 'Mail is slow',
      message: 'Since Monday.',
    });
    const opened = await eventsSent();
    expect(opened).toMatchObject([{ type: 'ticket.opened', data: { ticket_id: ticketId, subject: 'Mail is slow' } }]);
    await staffReply(w.ctx.deps, staff(w.samId), ticketId, { message: 'Looking into it.' });
    await staffReply(w.ctx.deps, staff(w.samId), ticketId, { message: 'Note to self', internal: true });
    await replyToTicket(w.ctx.deps, w.olive.actor, ticketId, { message: 'Thanks!' });
    const replies = await eventsSent();
    expect(replies.map((e) => [e.type, e.data.by]).sort()).toEqual([
      ['ticket.replied', 'member'],
      ['ticket.replied', 'support'],
    ]);
    expect(JSON.stringify(replies)).not.toContain('Looking into it.');
  });

  it('a hosting service bought sends hosting.service.active; staff suspending it and Olive cancelling it send theirs', async () => {
    const s = await purchaseHosting(w.ctx.deps, w.olive.actor, {
      planId: w.starter,
      domain: 'hooked-site.test',
      key: `k-${crypto.randomUUID()}`,
    });
    expect(s.status).toBe('active');
    const bought = (await eventsSent()).filter((e) => e.type.startsWith('hosting.'));
    expect(bought).toMatchObject([
      {
        type: 'hosting.service.active',
        data: { service_id: s.id, domain: 'hooked-site.test', status: 'active', reason: 'purchased' },
      },
    ]);
    await adminSuspendHostingService(w.ctx.deps, staff(w.samId), s.id);
    await cancelService(w.ctx.deps, w.olive.actor, s.id, { when: 'now', refund: false });
    const later = (await eventsSent()).filter((e) => e.type.startsWith('hosting.')).map((e) => e.type);
    expect(later.sort()).toEqual(['hosting.service.cancelled', 'hosting.service.suspended']);
  });

  it('a hosting purchase the panel refuses is undone and sends hosting.service.failed', async () => {
    w.emu.faults.fail('POST', /\/subscriptions$/, 404);
    const s = await purchaseHosting(w.ctx.deps, w.olive.actor, {
      planId: w.starter,
      domain: 'refused-site.test',
      key: `k-${crypto.randomUUID()}`,
    });
    w.emu.faults.clear();
    expect(s.status).toBe('failed');
    const sent = (await eventsSent()).filter((e) => e.type.startsWith('hosting.'));
    expect(sent).toMatchObject([
      { type: 'hosting.service.failed', data: { service_id: s.id, domain: 'refused-site.test' } },
    ]);
  });
});
