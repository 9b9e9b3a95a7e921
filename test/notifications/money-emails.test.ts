import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { issueStatement } from '../../src/domain/invoices/statements.ts';
import { changeEmail } from '../../src/domain/accounts/profile.ts';
import { organizationLink } from '../../src/domain/notifications/contacts.ts';
import { settleCapture } from '../../src/domain/payments/settlement.ts';
import { refundPayment } from '../../src/domain/payments/refunds.ts';
import { syncRefund } from '../../src/domain/payments/refund-settlement.ts';
import { balanceOf, orderOf, useBillingWorld } from '../billing/helpers.ts';
import { settledTopUp } from '../billing/payments.ts';
import { runQueued } from '../helpers/jobs.ts';
import { createPerson, PASSWORD, uniqueEmail } from '../helpers/people.ts';
import { billingTeam, emailIds, emailsSince, recipients } from './helpers.ts';

/**
 * Money emails (issue 12 item 9): each is queued, with an HTML and a text part, in the
 * transaction of its event, to the organization's billing contacts who keep billing mail on.
 * Acme: Olivia owns it; Bill ("finance", billing_manage) gets billing mail; Nora ("finance")
 * turned it off; Mia (member, no billing_manage) never gets it.
 */
const w = useBillingWorld();
let team: Awaited<ReturnType<typeof billingTeam>>;
let everyone: string[];
let contacts: string[];
let staff: Actor;

beforeAll(async () => {
  const { olivia, acme } = w.cast;
  team = await billingTeam(w.ctx, 'Olivia Owner', { id: olivia.id, email: olivia.email, orgId: acme });
  everyone = [olivia.email, team.bill.email, team.nora.email, team.mia.email, w.cast.vic.email];
  contacts = [olivia.email, team.bill.email].sort();
  const ada = await createPerson(w.ctx, 'Ada Admin', {
    isAdmin: true,
    verified: true,
    email: uniqueEmail('Ada Admin'),
  });
  staff = {
    userId: ada.id,
    isPlatformAdmin: true,
    organizationId: null,
    roleName: null,
    permissions: new Set(),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.9', userAgent: null },
  };
});

const receiptOf = (paymentId: string) =>
  w.ctx.db
    .selectFrom('invoices')
    .select(['id', 'number'])
    .where('payment_id', '=', paymentId)
    .executeTakeFirstOrThrow();

/** Olivia tops up through PayPal (the emulator approves and captures): credited. */
async function paidTopUp(amount: string): Promise<string> {
  const res = await w.olivia('POST', '/wallet/top-ups', { amount });
  expect(res.status).toBe(201);
  w.emu.approve(await orderOf(w.ctx, res.body.id));
  const cap = await w.olivia('POST', `/wallet/top-ups/${res.body.id}/capture`);
  expect(cap.body.status).toBe('completed');
  return res.body.id as string;
}

describe('top-up receipt', () => {
  it('is emailed to the billing contacts who keep billing mail on, with both parts, the new balance and a link to the receipt PDF', async () => {
    const before = await emailIds(w.ctx.db);
    const { paymentId, captureId } = await settledTopUp(w.ctx.deps, w.cast.acme, 25_000_000n);
    const receipt = await receiptOf(paymentId);
    const balance = await balanceOf(w.ctx, w.cast.acme);

    const mails = await emailsSince(w.ctx.db, before, 'top_up_receipt', everyone);
    expect(mails.map((m) => m.to_address).sort()).toEqual(contacts);
    const link = organizationLink('http://localhost:3000', w.cast.acme, `/invoices/${receipt.id}/pdf`);
    const shown = `$${(Number(balance) / 1e6).toFixed(2)}`;
    for (const m of mails) {
      expect(m.subject).toContain(receipt.number);
      for (const part of [m.html, m.text]) {
        expect(part).toContain('$25.00');
        expect(part).toContain(shown);
        expect(part).toContain(receipt.number);
        expect(part).toContain(link);
      }
      expect(m.html).toContain(`<a href="${link}"`);
      expect(m.html).toContain('<html');
      expect(m.text).not.toContain('<');
      // Linked, not attached; nothing secret in it.
      expect(m.secrets).toBeNull();
      expect(m.text).not.toMatch(/token|SKYPANEL-LINK/i);
    }

    // Each is queued for delivery (an email.send job), like every email.
    const queued: string[] = [];
    await runQueued(w.ctx, 'email.send', async (d) => void queued.push(d.emailId));
    expect(queued).toEqual(expect.arrayContaining(mails.map((m) => m.id)));

    // The same capture settled again (a webhook after the return page) credits and mails nothing.
    const again = await settleCapture(w.ctx.deps, {
      paymentId,
      capture: {
        id: captureId,
        status: 'COMPLETED',
        amount: { currency_code: 'USD', value: '25.00' },
        custom_id: w.cast.acme,
        invoice_id: paymentId,
      },
    });
    expect(again.credited).toBe(false);
    expect(await emailsSince(w.ctx.db, before, 'top_up_receipt', everyone)).toHaveLength(2);
  });

  it('reaches Olivia through the real PayPal top-up flow too', async () => {
    const before = await emailIds(w.ctx.db);
    await paidTopUp('12.00');
    expect(await recipients(w.ctx.db, before, 'top_up_receipt', everyone)).toEqual(contacts);
  });
});

describe('refund issued', () => {
  it('a refund as wallet credit is emailed at once, saying so, with the amount', async () => {
    const { paymentId } = await settledTopUp(w.ctx.deps, w.cast.acme, 20_000_000n);
    const before = await emailIds(w.ctx.db);
    await refundPayment(w.ctx.deps, staff, { paymentId, amount: '4.50', destination: 'wallet', reason: 'Goodwill' });
    const mails = await emailsSince(w.ctx.db, before, 'refund_issued', everyone);
    expect(mails.map((m) => m.to_address).sort()).toEqual(contacts);
    for (const m of mails) {
      expect(m.subject).toContain('$4.50 refunded to your wallet');
      expect(m.html).toContain('$4.50');
      expect(m.text).toContain('to the wallet of');
      expect(m.text).toContain(organizationLink('http://localhost:3000', w.cast.acme, '/billing'));
    }
  });

  it('a refund to PayPal is emailed once PayPal completes it', async () => {
    const paymentId = await paidTopUp('30.00');
    const before = await emailIds(w.ctx.db);
    const { refund } = await refundPayment(w.ctx.deps, staff, {
      paymentId,
      amount: '10.00',
      destination: 'paypal',
      reason: 'Customer asked',
    });
    expect(refund.status).toBe('completed');
    const mails = await emailsSince(w.ctx.db, before, 'refund_issued', everyone);
    expect(mails.map((m) => m.to_address).sort()).toEqual(contacts);
    for (const m of mails) {
      expect(m.subject).toContain('$10.00 refunded to your PayPal account');
      expect(m.text).toContain('PayPal account that paid it');
      expect(m.html).toContain('PayPal account that paid it');
    }
  });

  it('a refund to PayPal still pending sends nothing; completed later, it is emailed once', async () => {
    const paymentId = await paidTopUp('15.00');
    const before = await emailIds(w.ctx.db);
    w.emu.inject('server_error', { on: 'refund' });
    const { refund } = await refundPayment(w.ctx.deps, staff, {
      paymentId,
      amount: '5.00',
      destination: 'paypal',
      reason: 'Customer asked',
    });
    expect(refund.status).toBe('pending');
    expect(await emailsSince(w.ctx.db, before, 'refund_issued', everyone)).toEqual([]);
    expect((await syncRefund(w.ctx.deps, refund.id)).status).toBe('completed');
    expect((await syncRefund(w.ctx.deps, refund.id)).status).toBe('completed');
    expect(await recipients(w.ctx.db, before, 'refund_issued', everyone)).toEqual(contacts);
  });
});

describe('statement ready', () => {
  it('is emailed when the month’s statement is issued, with the month, totals and links', async () => {
    const now = new Date();
    const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const was = w.ctx.clock.now();
    w.ctx.clock.set(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 0, 15)));
    onTestFinished(() => w.ctx.clock.set(was));

    const before = await emailIds(w.ctx.db);
    const issued = await issueStatement(w.ctx.deps, w.cast.acme, month);
    expect(issued.duplicate).toBe(false);
    const mails = await emailsSince(w.ctx.db, before, 'statement_ready', everyone);
    expect(mails.map((m) => m.to_address).sort()).toEqual(contacts);
    const monthName = new Date(`${month}-01T00:00:00Z`).toLocaleString('en-US', {
      month: 'long',
      year: 'numeric',
      timeZone: 'UTC',
    });
    for (const m of mails) {
      expect(m.subject).toContain(monthName);
      for (const part of [m.html, m.text]) {
        expect(part).toContain(issued.number);
        expect(part).toContain('Closing balance');
        expect(part).toContain(organizationLink('http://localhost:3000', w.cast.acme, `/invoices/${issued.id}`));
        expect(part).toContain(organizationLink('http://localhost:3000', w.cast.acme, `/invoices/${issued.id}/pdf`));
      }
    }
    // Issued again: the first statement stands, no second email.
    expect((await issueStatement(w.ctx.deps, w.cast.acme, month)).duplicate).toBe(true);
    expect(await emailsSince(w.ctx.db, before, 'statement_ready', everyone)).toHaveLength(2);
  });
});

describe('preferences and roles', () => {
  it('a member without billing_manage and a contact who turned billing off get no money email, but security mail still reaches them', async () => {
    const before = await emailIds(w.ctx.db);
    await settledTopUp(w.ctx.deps, w.cast.acme, 5_000_000n);
    const got = await recipients(w.ctx.db, before, 'top_up_receipt', everyone);
    expect(got).not.toContain(team.nora.email);
    expect(got).not.toContain(team.mia.email);
    expect(got).not.toContain(w.cast.vic.email);

    // Security mail bypasses preferences: Nora changes her address and her old one is told.
    await changeEmail(w.ctx.deps, team.nora.id, { email: uniqueEmail('Nora Moved'), current_password: PASSWORD });
    expect(await recipients(w.ctx.db, before, 'email_changed', [team.nora.email])).toEqual([team.nora.email]);
  });
});
