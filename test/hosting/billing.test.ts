import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { getInvoice } from '../../src/domain/invoices/query.ts';
import { issueStatement } from '../../src/domain/invoices/statements.ts';
import { cancelService, keepService, proratedRefund } from '../../src/domain/hosting/cancel.ts';
import { monthsAfter, periodEndAfter } from '../../src/domain/hosting/periods.ts';
import { sendHostingWelcome } from '../../src/domain/hosting/emails.ts';
import { runHostingBilling } from '../../src/domain/hosting/billing.ts';
import { suspendService, unsuspendService } from '../../src/domain/hosting/suspension.ts';
import {
  balanceOf,
  chargesOf,
  customer,
  DAY,
  expectLedgerKept,
  HOUR,
  mailTo,
  patchesOf,
  PRICE,
  run,
  runQueuedBilling,
  serviceOf,
  serviceRow,
  SUSPEND_HOURS,
  TERMINATE_DAYS,
  topUp,
  useBillingWorld,
  website,
} from './billing-helpers.ts';

const w = useBillingWorld();
const T0 = new Date('2027-01-31T10:00:00.000Z');

afterEach(async () => {
  await expectLedgerKept(w);
});

describe('calendar months', () => {
  it('renews on the same day next month, clamped to the month end, without drifting', () => {
    expect(monthsAfter(T0, 1).toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(monthsAfter(T0, 2).toISOString()).toBe('2027-03-31T10:00:00.000Z');
    expect(monthsAfter(new Date('2028-01-31T00:00:00Z'), 1).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(monthsAfter(new Date('2026-12-15T08:30:00Z'), 1).toISOString()).toBe('2027-01-15T08:30:00.000Z');
    // From the anchor: 28 Feb is followed by 31 Mar, then 30 Apr.
    expect(periodEndAfter(T0, monthsAfter(T0, 1)).toISOString()).toBe('2027-03-31T10:00:00.000Z');
    expect(periodEndAfter(T0, monthsAfter(T0, 2)).toISOString()).toBe('2027-04-30T10:00:00.000Z');
  });

  it('prorates the unused whole days, rounding half up to the micro-unit, never above what is left of the charge', () => {
    const period = { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-02-01T00:00:00Z') };
    // 21 whole days of 31 left: 5.00 × 21 / 31 = 3.387096774… → 3.387097.
    expect(proratedRefund({ amount: PRICE, refunded: 0n }, period, new Date('2027-01-10T12:00:00Z'))).toEqual({
      amount: 3_387_097n,
      unusedDays: 21,
      periodDays: 31,
    });
    expect(
      proratedRefund({ amount: PRICE, refunded: 4_000_000n }, period, new Date('2027-01-10T12:00:00Z')).amount,
    ).toBe(1_000_000n);
    expect(proratedRefund({ amount: PRICE, refunded: 0n }, period, new Date('2027-02-01T00:00:00Z')).amount).toBe(0n);
  });
});

describe('renewal', () => {
  it('charges a due period once when two runs race, advances it a calendar month and sends one receipt', async () => {
    const c = await customer(w, 'Rita Renew');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 20_000_000n);
    w.ctx.clock.set(new Date(monthsAfter(T0, 1).getTime() + HOUR));

    await Promise.all([run(w), run(w), run(w)]);
    await run(w);

    const charges = await chargesOf(w, s.id);
    expect(charges.map((x) => [x.kind, x.period_start.toISOString(), x.amount])).toEqual([
      ['purchase', T0.toISOString(), PRICE],
      ['renewal', '2027-02-28T10:00:00.000Z', PRICE],
    ]);
    expect(await balanceOf(w, c.org)).toBe(15_000_000n);
    const row = await serviceRow(w, s.id);
    expect(row.period_start!.toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(row.period_end!.toISOString()).toBe('2027-03-31T10:00:00.000Z');
    expect(row.overdue_since).toBeNull();
    const mails = await mailTo(w, c.owner.email);
    expect(mails.map((m) => m.template)).toEqual(['hosting_renewal_receipt']);
    expect(mails[0]!.text).toContain('$5.00 was paid from the wallet for 28 Feb 2027 to 31 Mar 2027');
    const ledger = await w.ctx.db
      .selectFrom('ledger_transactions')
      .select(['description', 'kind'])
      .where('idempotency_key', '=', `hosting:charge:${s.id}:2027-02-28T10:00:00.000Z`)
      .execute();
    expect(ledger).toEqual([
      { kind: 'hosting_charge', description: `Web hosting ${s.domain} (Starter): 28 Feb 2027 – 31 Mar 2027` },
    ]);
  });

  it('does nothing to a service whose period has not ended', async () => {
    const c = await customer(w, 'Nora Notyet');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 20_000_000n);
    w.ctx.clock.set(new Date(monthsAfter(T0, 1).getTime() - 60_000));
    await run(w);
    expect(await chargesOf(w, s.id)).toHaveLength(1);
    expect(await mailTo(w, c.owner.email)).toEqual([]);
  });
});

describe('hosting dunning', () => {
  it('an unpaid renewal: overdue, suspended at the panel after the period, each overdue month charged once on top-up, website enabled again', async () => {
    const c = await customer(w, 'Una Unpaid');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 1_000_000n);
    const due = monthsAfter(T0, 1);

    w.ctx.clock.set(new Date(due.getTime() + HOUR));
    await run(w);
    let row = await serviceRow(w, s.id);
    expect(row.overdue_since!.toISOString()).toBe(due.toISOString());
    expect(row.status).toBe('active');
    expect(await chargesOf(w, s.id)).toHaveLength(1);
    expect(await balanceOf(w, c.org)).toBe(1_000_000n);
    expect((await mailTo(w, c.owner.email)).map((m) => m.template)).toEqual(['hosting_renewal_failed']);

    // Just before the suspension time: still up.
    w.ctx.clock.set(new Date(due.getTime() + SUSPEND_HOURS * HOUR - 60_000));
    await run(w);
    expect(website(w, s.websiteId)).toEqual({ status: 'active', isSuspended: false });

    w.emu.clearRequests();
    w.ctx.clock.set(new Date(due.getTime() + SUSPEND_HOURS * HOUR));
    await run(w);
    await run(w);
    row = await serviceRow(w, s.id);
    expect(row).toMatchObject({ status: 'suspended', suspended_by: 'dunning' });
    expect(website(w, s.websiteId)).toEqual({ status: 'disabled', isSuspended: true });
    expect(patchesOf(w, s.websiteId)).toEqual([{ status: 204, body: { status: 'disabled', isSuspended: true } }]);

    // A second month falls due while unpaid.
    const due2 = monthsAfter(T0, 2);
    w.ctx.clock.set(new Date(due2.getTime() + HOUR));
    await run(w);
    expect((await serviceRow(w, s.id)).overdue_since!.toISOString()).toBe(due.toISOString());
    expect((await mailTo(w, c.owner.email)).map((m) => m.template)).toEqual([
      'hosting_renewal_failed',
      'hosting_suspended',
    ]);

    // Funds arrive: the credit queues hosting billing for the organization.
    w.emu.clearRequests();
    await topUp(w, c.org, '20.00');
    expect(await runQueuedBilling(w)).toBeGreaterThan(0);
    await run(w);
    const charges = await chargesOf(w, s.id);
    expect(charges.map((x) => [x.kind, x.period_start.toISOString()])).toEqual([
      ['purchase', T0.toISOString()],
      ['renewal', due.toISOString()],
      ['renewal', due2.toISOString()],
    ]);
    expect(await balanceOf(w, c.org)).toBe(21_000_000n - 2n * PRICE);
    row = await serviceRow(w, s.id);
    expect(row).toMatchObject({ status: 'active', suspended_by: null, overdue_since: null });
    expect(row.period_end!.toISOString()).toBe(monthsAfter(T0, 3).toISOString());
    expect(website(w, s.websiteId)).toEqual({ status: 'active', isSuspended: false });
    expect(patchesOf(w, s.websiteId)).toEqual([{ status: 204, body: { status: 'active', isSuspended: false } }]);
    const mails = await mailTo(w, c.owner.email);
    expect(mails.map((m) => m.template)).toEqual(['hosting_renewal_failed', 'hosting_suspended', 'hosting_recovered']);
    expect(mails[2]!.text).toContain('$10.00 for 2 months due was taken from the wallet');
    expect(mails[2]!.text).toContain('The website is enabled again');
    // No email ever says the panel's name.
    for (const m of mails) expect(`${m.subject}${m.text}${m.html}`).not.toMatch(/enhance/i);
  });

  it('deletes the website and subscription after the terminate period, a day after the final notice', async () => {
    const c = await customer(w, 'Dora Deleted');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 0n);
    const due = monthsAfter(T0, 1);
    w.ctx.clock.set(new Date(due.getTime() + HOUR));
    await run(w);
    w.ctx.clock.set(new Date(due.getTime() + (TERMINATE_DAYS - 1) * DAY));
    await run(w);
    expect((await serviceRow(w, s.id)).status).toBe('suspended');
    // The suspension and the final notice went out in the same run (one transaction: no order between them).
    expect((await mailTo(w, c.owner.email)).map((m) => m.template).sort()).toEqual([
      'hosting_final_notice',
      'hosting_renewal_failed',
      'hosting_suspended',
    ]);
    w.ctx.clock.set(new Date(due.getTime() + TERMINATE_DAYS * DAY - 60_000));
    await run(w);
    expect((await serviceRow(w, s.id)).status).toBe('suspended');

    w.ctx.clock.set(new Date(due.getTime() + TERMINATE_DAYS * DAY));
    await run(w);
    await run(w);
    const row = await serviceRow(w, s.id);
    expect(row).toMatchObject({ status: 'cancelled', cancel_reason: 'unpaid' });
    expect(website(w, s.websiteId)).toBeNull();
    expect(w.emu.state.subscriptions.has(s.subId)).toBe(false);
    const mails = await mailTo(w, c.owner.email);
    expect(mails.map((m) => m.template).sort()).toEqual([
      'hosting_cancelled',
      'hosting_final_notice',
      'hosting_renewal_failed',
      'hosting_suspended',
    ]);
    expect(mails.at(-1)!.template).toBe('hosting_cancelled');
    expect(mails.at(-1)!.text).toContain('renewal stayed unpaid');
    expect(await chargesOf(w, s.id)).toHaveLength(1);
    // A later top-up charges nothing for a deleted service.
    await topUp(w, c.org, '20.00');
    await runQueuedBilling(w);
    await run(w);
    expect(await chargesOf(w, s.id)).toHaveLength(1);
  });

  it('deletes no sooner than a day after the final notice, when the job was away past the deadline', async () => {
    const c = await customer(w, 'Lena Late');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 0n);
    const due = monthsAfter(T0, 1);
    w.ctx.clock.set(new Date(due.getTime() + TERMINATE_DAYS * DAY + HOUR));
    await run(w);
    expect((await serviceRow(w, s.id)).status).toBe('suspended');
    expect((await mailTo(w, c.owner.email)).map((m) => m.template)).toContain('hosting_final_notice');
    w.ctx.clock.advance(DAY - 60_000);
    await run(w);
    expect((await serviceRow(w, s.id)).status).toBe('suspended');
    w.ctx.clock.advance(60_000);
    await run(w);
    expect((await serviceRow(w, s.id)).status).toBe('cancelled');
  });

  it('a panel failure while re-enabling keeps the renewal paid; the next run enables it without charging again', async () => {
    const c = await customer(w, 'Pia Panicfree');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 0n);
    const due = monthsAfter(T0, 1);
    w.ctx.clock.set(new Date(due.getTime() + SUSPEND_HOURS * HOUR + HOUR));
    await run(w);
    expect(website(w, s.websiteId)).toEqual({ status: 'disabled', isSuspended: true });
    await topUp(w, c.org, '5.00');
    w.emu.faults.fail('PATCH', new RegExp(`/websites/${s.websiteId}$`), 500, undefined, 10);
    const failed = await runHostingBilling(w.ctx.deps, { organizationId: c.org });
    w.emu.faults.clear();
    expect(failed.errors).toBe(1);
    // The money is settled before the panel is asked (the wallet is never held during a panel call).
    expect(await chargesOf(w, s.id)).toHaveLength(2);
    expect(await balanceOf(w, c.org)).toBe(0n);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'suspended', suspended_by: 'dunning' });
    await run(w);
    expect(await chargesOf(w, s.id)).toHaveLength(2);
    expect(await balanceOf(w, c.org)).toBe(0n);
    expect(website(w, s.websiteId)).toEqual({ status: 'active', isSuspended: false });
    expect((await mailTo(w, c.owner.email)).filter((m) => m.template === 'hosting_recovered')).toHaveLength(1);
  });

  it('suspends once per unpaid spell: a website staff enabled again stays up until the deletion', async () => {
    const c = await customer(w, 'Gail Grace');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 0n);
    const due = monthsAfter(T0, 1);
    w.ctx.clock.set(new Date(due.getTime() + SUSPEND_HOURS * HOUR + HOUR));
    await run(w);
    expect((await serviceRow(w, s.id)).status).toBe('suspended');
    await unsuspendService(w.ctx.deps, s.id);
    w.ctx.clock.advance(DAY);
    await run(w);
    expect((await serviceRow(w, s.id)).status).toBe('active');
    expect(website(w, s.websiteId)).toEqual({ status: 'active', isSuspended: false });
    w.ctx.clock.set(new Date(due.getTime() + (TERMINATE_DAYS - 1) * DAY));
    await run(w);
    expect((await serviceRow(w, s.id)).status).toBe('active');
    w.ctx.clock.set(new Date(due.getTime() + TERMINATE_DAYS * DAY));
    await run(w);
    expect((await serviceRow(w, s.id)).status).toBe('cancelled');
    expect((await mailTo(w, c.owner.email)).filter((m) => m.template === 'hosting_suspended')).toHaveLength(1);
  });

  it('never lifts a staff suspension on recovery', async () => {
    const c = await customer(w, 'Sid Staffheld');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 0n);
    await suspendService(w.ctx.deps, s.id, 'staff');
    expect(website(w, s.websiteId)).toEqual({ status: 'disabled', isSuspended: true });
    w.ctx.clock.set(new Date(monthsAfter(T0, 1).getTime() + HOUR));
    await run(w);
    await topUp(w, c.org, '10.00');
    await runQueuedBilling(w);
    const row = await serviceRow(w, s.id);
    expect(row).toMatchObject({ status: 'suspended', suspended_by: 'staff', overdue_since: null });
    expect(await chargesOf(w, s.id)).toHaveLength(2);
    await unsuspendService(w.ctx.deps, s.id);
    expect(website(w, s.websiteId)).toEqual({ status: 'active', isSuspended: false });
    expect((await serviceRow(w, s.id)).status).toBe('active');
  });
});

describe('cancellation', () => {
  it('at period end: the renewal run deletes the service instead of charging', async () => {
    const c = await customer(w, 'Pam Periodend');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 20_000_000n);
    const row = await cancelService(w.ctx.deps, c.actor, s.id, { when: 'period_end', refund: false });
    expect(row).toMatchObject({ status: 'active', cancel_at_period_end: true });
    // Changing one's mind and back again.
    expect((await keepService(w.ctx.deps, c.actor, s.id)).cancel_at_period_end).toBe(false);
    await cancelService(w.ctx.deps, c.actor, s.id, { when: 'period_end', refund: false });

    w.ctx.clock.set(new Date(monthsAfter(T0, 1).getTime() + HOUR));
    await run(w);
    await run(w);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'period_end' });
    expect(await chargesOf(w, s.id)).toHaveLength(1);
    expect(await balanceOf(w, c.org)).toBe(20_000_000n);
    expect(website(w, s.websiteId)).toBeNull();
    const mails = await mailTo(w, c.owner.email);
    expect(mails.map((m) => m.template)).toEqual(['hosting_cancelled']);
    expect(mails[0]!.text).toContain('ended at the end of its paid period');
  });

  it('now: deletes at the panel and refunds the unused whole days exactly, once', async () => {
    const c = await customer(w, 'Nina Now');
    const start = new Date('2027-01-01T00:00:00Z');
    w.ctx.clock.set(start);
    const s = await serviceOf(w, c.org, start, 0n);
    w.ctx.clock.set(new Date('2027-01-10T12:00:00Z'));
    w.emu.clearRequests();

    const [a, b] = await Promise.all([
      cancelService(w.ctx.deps, c.actor, s.id, { when: 'now', refund: true }),
      cancelService(w.ctx.deps, c.actor, s.id, { when: 'now', refund: true }),
    ]);
    expect(a.status).toBe('cancelled');
    expect(b.status).toBe('cancelled');
    expect(await balanceOf(w, c.org)).toBe(3_387_097n);
    const [charge] = await chargesOf(w, s.id);
    expect(charge!.refunded).toBe(3_387_097n);
    expect(website(w, s.websiteId)).toBeNull();
    const deletes = w.emu.requests().filter((r) => r.method === 'DELETE');
    expect(deletes.some((r) => r.path.endsWith(`/websites/${s.websiteId}`) && r.query.force === 'true')).toBe(true);
    expect(deletes.some((r) => r.path.endsWith(`/subscriptions/${s.subId}`) && r.query.force === 'true')).toBe(true);
    const refund = await w.ctx.db
      .selectFrom('ledger_transactions')
      .select(['kind', 'description'])
      .where('idempotency_key', '=', `hosting:refund:${s.id}:${start.toISOString()}`)
      .executeTakeFirstOrThrow();
    expect(refund).toEqual({
      kind: 'hosting_refund',
      description: `Web hosting ${s.domain} (Starter): 21 unused days of 31 refunded`,
    });
    const mails = await mailTo(w, c.owner.email);
    expect(mails.map((m) => m.template)).toEqual(['hosting_cancelled']);
    expect(mails[0]!.text).toContain('$3.39 for the unused days of the month went back to the wallet');

    // Again later: nothing more.
    await cancelService(w.ctx.deps, c.actor, s.id, { when: 'now', refund: true });
    expect(await balanceOf(w, c.org)).toBe(3_387_097n);
  });

  it('staff may cancel another organization’s service now without a refund; a customer cannot reach it', async () => {
    const c = await customer(w, 'Sam Staffcancel');
    const other = await customer(w, 'Gus Globex');
    w.ctx.clock.set(new Date('2027-01-01T00:00:00Z'));
    const s = await serviceOf(w, c.org, new Date('2027-01-01T00:00:00Z'), 0n);
    await expect(cancelService(w.ctx.deps, other.actor, s.id, { when: 'now', refund: true })).rejects.toMatchObject({
      status: 404,
    });
    w.ctx.clock.set(new Date('2027-01-05T00:00:00Z'));
    const row = await cancelService(w.ctx.deps, w.staff, s.id, { when: 'now', refund: false, staff: true });
    expect(row).toMatchObject({ status: 'cancelled', cancel_reason: 'staff' });
    expect(await balanceOf(w, c.org)).toBe(0n);
    expect((await mailTo(w, c.owner.email))[0]!.text).toContain('cancelled by our staff');
  });
});

describe('emails', () => {
  it('welcomes once, with the plan, the domain and the single sign-on way in, and never a password', async () => {
    const c = await customer(w, 'Wendy Welcome');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 0n);
    expect(await sendHostingWelcome(w.ctx.deps, s.id)).toBe(1);
    expect(await sendHostingWelcome(w.ctx.deps, s.id)).toBe(0);
    const mails = await mailTo(w, c.owner.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain(s.domain);
    expect(mails[0]!.text).toContain('(Starter)');
    expect(mails[0]!.text).toContain('Open control panel');
    expect(mails[0]!.text).toContain('renews on 28 Feb 2027');
    expect(`${mails[0]!.text}${mails[0]!.html}`).not.toMatch(/password:|enhance/i);
  });
});

describe('statements', () => {
  it('list hosting charges and refunds with the plan, the domain and the period', async () => {
    const c = await customer(w, 'Stella Statement');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 20_000_000n);
    w.ctx.clock.set(new Date(monthsAfter(T0, 1).getTime() + HOUR));
    await run(w);
    w.ctx.clock.set(new Date(monthsAfter(T0, 1).getTime() + 10 * DAY + HOUR));
    await cancelService(w.ctx.deps, c.actor, s.id, { when: 'now', refund: true });

    // Ledger rows carry the database's time: the statement is the month they were posted in.
    const { rows } = await sql<{ month: string; next: Date }>`
      select to_char(now() at time zone 'utc', 'YYYY-MM') as month,
             date_trunc('month', now() at time zone 'utc') at time zone 'utc' + interval '1 month 1 day' as next`.execute(
      w.ctx.db,
    );
    w.ctx.clock.set(new Date(rows[0]!.next));
    const issued = await issueStatement(w.ctx.deps, c.org, rows[0]!.month);
    const invoice = await getInvoice(w.ctx.db, c.actor, issued.id);
    const lines = invoice.lines.filter((l) => l.type === 'transaction') as Array<{
      description: string;
      amount: bigint;
      kind: string;
    }>;
    const hosting = lines.filter((l) => l.kind.startsWith('hosting_'));
    expect(hosting.map((l) => [l.kind, l.description, l.amount])).toEqual([
      ['hosting_charge', `Web hosting ${s.domain} (Starter): first month`, -PRICE],
      ['hosting_charge', `Web hosting ${s.domain} (Starter): 28 Feb 2027 – 31 Mar 2027`, -PRICE],
      ['hosting_refund', `Web hosting ${s.domain} (Starter): 20 unused days of 31 refunded`, 3_225_806n],
    ]);
    const totals = invoice.lines.filter((l) => l.type === 'total') as Array<{ category: string; amount: bigint }>;
    expect(totals.find((t) => t.category === 'refunds')!.amount).toBe(3_225_806n);
  });
});
