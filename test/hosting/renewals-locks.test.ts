import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runHostingBilling } from '../../src/domain/hosting/billing.ts';
import { monthsAfter } from '../../src/domain/hosting/periods.ts';
import { inTransaction } from '../../src/db/index.ts';
import {
  balanceOf,
  chargesOf,
  customer,
  DAY,
  expectLedgerKept,
  HOUR,
  mailTo,
  run,
  serviceOf,
  serviceRow,
  SUSPEND_HOURS,
  TERMINATE_DAYS,
  topUp,
  useBillingWorld,
  website,
} from './billing-helpers.ts';

/**
 * The panel is slow or down while hosting billing acts on a website: the money is settled and
 * committed first, so the organization's wallet is never held while the panel answers, and what
 * the panel did not do is done by the next run without charging or emailing twice.
 */

const w = useBillingWorld();
const T0 = new Date('2027-01-31T10:00:00.000Z');
const DUE = monthsAfter(T0, 1);
const HELD_MS = 5_000;

afterEach(async () => {
  w.emu.faults.clear();
  await expectLedgerKept(w);
});

const sitePath = (websiteId: string) => new RegExp(`/websites/${websiteId}$`);

/** Resolves once the emulator is holding the request the armed delay waits for. */
async function heldAtPanel() {
  const until = Date.now() + 15_000;
  while (w.emu.state.faults.length > 0) {
    if (Date.now() > until) throw new Error('the panel was never called');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether another connection can take the organization's wallet row without waiting. */
async function walletFree(org: string): Promise<boolean> {
  try {
    await inTransaction(w.ctx.db, (trx) =>
      sql`select id from wallets where organization_id = ${org} for update nowait`.execute(trx),
    );
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') return false;
    throw err;
  }
}

/** A customer whose website dunning suspended (its renewal unpaid past the suspension time). */
async function suspendedForNonPayment(name: string) {
  const c = await customer(w, name);
  w.ctx.clock.set(T0);
  const s = await serviceOf(w, c.org, T0, 0n);
  w.ctx.clock.set(new Date(DUE.getTime() + SUSPEND_HOURS * HOUR + HOUR));
  await run(w);
  expect(await serviceRow(w, s.id)).toMatchObject({ status: 'suspended', suspended_by: 'dunning' });
  return { c, s };
}

/** The hosting emails `to` received, sorted (those queued in one transaction share a creation time). */
const templates = async (to: string) => (await mailTo(w, to)).map((m) => m.template).sort();

describe('enabling a website again after payment', () => {
  it('leaves the wallet free while the panel takes its time: a top-up completes at once', async () => {
    const { c, s } = await suspendedForNonPayment('Hal Holdup');
    await topUp(w, c.org, '5.00');
    w.emu.faults.delay('PATCH', sitePath(s.websiteId), HELD_MS);

    const billing = runHostingBilling(w.ctx.deps, { organizationId: c.org });
    await heldAtPanel();
    expect(await walletFree(c.org)).toBe(true);
    // Done while the panel still holds its call (the website is still disabled below): it did not wait for it.
    await topUp(w, c.org, '1.00');
    // The renewal was charged and committed before the panel was called; the panel still holds the call.
    expect(await chargesOf(w, s.id)).toHaveLength(2);
    expect(website(w, s.websiteId)).toEqual({ status: 'disabled', isSuspended: true });

    expect((await billing).errors).toBe(0);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'active', suspended_by: null, overdue_since: null });
    expect(website(w, s.websiteId)).toEqual({ status: 'active', isSuspended: false });
    expect(await balanceOf(w, c.org)).toBe(1_000_000n);
    expect(await templates(c.owner.email)).toEqual([
      'hosting_recovered',
      'hosting_renewal_failed',
      'hosting_suspended',
    ]);
  });

  it('a panel failure after the charge: charged once, still suspended; the next run enables it without charging, one recovered email', async () => {
    const { c, s } = await suspendedForNonPayment('Flo Failover');
    await topUp(w, c.org, '5.00');
    w.emu.faults.fail('PATCH', sitePath(s.websiteId), 500, undefined, 10);

    const failed = await runHostingBilling(w.ctx.deps, { organizationId: c.org });
    expect(failed.errors).toBe(1);
    expect(await chargesOf(w, s.id)).toHaveLength(2);
    expect(await balanceOf(w, c.org)).toBe(0n);
    const row = await serviceRow(w, s.id);
    expect(row).toMatchObject({ status: 'suspended', suspended_by: 'dunning', overdue_since: null });
    expect(row.period_start!.toISOString()).toBe(DUE.toISOString());
    expect(website(w, s.websiteId)).toEqual({ status: 'disabled', isSuspended: true });
    expect(await templates(c.owner.email)).toEqual(['hosting_renewal_failed', 'hosting_suspended']);

    w.emu.faults.clear();
    const tally = await run(w);
    await run(w);
    expect(tally.recovered).toBe(1);
    expect(await chargesOf(w, s.id)).toHaveLength(2);
    expect(await balanceOf(w, c.org)).toBe(0n);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'active', suspended_by: null, overdue_since: null });
    expect(website(w, s.websiteId)).toEqual({ status: 'active', isSuspended: false });
    expect(await templates(c.owner.email)).toEqual([
      'hosting_recovered',
      'hosting_renewal_failed',
      'hosting_suspended',
    ]);
    const recovered = (await mailTo(w, c.owner.email)).find((m) => m.template === 'hosting_recovered')!;
    expect(recovered.text).toContain('$5.00 for the month');
    expect(recovered.text).toContain('The website is enabled again');
  });

  it('three runs racing after the payment charge it once, enable it and send one recovered email', async () => {
    const { c, s } = await suspendedForNonPayment('Rex Racer');
    await topUp(w, c.org, '7.00');
    w.emu.faults.delay('PATCH', sitePath(s.websiteId), 200, 3);

    await Promise.all([run(w), run(w), run(w)]);
    await run(w);
    expect(await chargesOf(w, s.id)).toHaveLength(2);
    expect(await balanceOf(w, c.org)).toBe(2_000_000n);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'active', suspended_by: null });
    expect(website(w, s.websiteId)).toEqual({ status: 'active', isSuspended: false });
    expect(await templates(c.owner.email)).toEqual([
      'hosting_recovered',
      'hosting_renewal_failed',
      'hosting_suspended',
    ]);
  });
});

describe('suspending for non-payment', () => {
  it('leaves the wallet free while the panel suspends the website', async () => {
    const c = await customer(w, 'Sue Slowpanel');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 0n);
    w.ctx.clock.set(new Date(DUE.getTime() + SUSPEND_HOURS * HOUR + HOUR));
    w.emu.faults.delay('PATCH', sitePath(s.websiteId), HELD_MS);

    const billing = runHostingBilling(w.ctx.deps, { organizationId: c.org });
    await heldAtPanel();
    expect(await walletFree(c.org)).toBe(true);
    expect((await billing).errors).toBe(0);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'suspended', suspended_by: 'dunning' });
    expect(website(w, s.websiteId)).toEqual({ status: 'disabled', isSuspended: true });
  });

  it('a panel failure leaves it active and overdue; the next run suspends it, with one suspension email', async () => {
    const c = await customer(w, 'Pat Patchfail');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 0n);
    w.ctx.clock.set(new Date(DUE.getTime() + HOUR));
    await run(w);
    w.ctx.clock.set(new Date(DUE.getTime() + SUSPEND_HOURS * HOUR));
    w.emu.faults.fail('PATCH', sitePath(s.websiteId), 503, undefined, 10);

    const failed = await runHostingBilling(w.ctx.deps, { organizationId: c.org });
    expect(failed.errors).toBe(1);
    const row = await serviceRow(w, s.id);
    expect(row).toMatchObject({ status: 'active', suspended_by: null });
    expect(row.overdue_since!.toISOString()).toBe(DUE.toISOString());
    expect(website(w, s.websiteId)).toEqual({ status: 'active', isSuspended: false });
    expect(await templates(c.owner.email)).toEqual(['hosting_renewal_failed']);

    w.emu.faults.clear();
    const tally = await run(w);
    await run(w);
    expect(tally.suspended).toBe(1);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'suspended', suspended_by: 'dunning' });
    expect(website(w, s.websiteId)).toEqual({ status: 'disabled', isSuspended: true });
    expect(await templates(c.owner.email)).toEqual(['hosting_renewal_failed', 'hosting_suspended']);
    expect(await chargesOf(w, s.id)).toHaveLength(1);
  });
});

describe('deleting for non-payment', () => {
  it('leaves the wallet free while the panel deletes the website', async () => {
    const c = await customer(w, 'Del Delay');
    w.ctx.clock.set(T0);
    const s = await serviceOf(w, c.org, T0, 0n);
    w.ctx.clock.set(new Date(DUE.getTime() + (TERMINATE_DAYS - 1) * DAY));
    await run(w);
    w.ctx.clock.set(new Date(DUE.getTime() + TERMINATE_DAYS * DAY));
    w.emu.faults.delay('DELETE', sitePath(s.websiteId), HELD_MS);

    const billing = runHostingBilling(w.ctx.deps, { organizationId: c.org });
    await heldAtPanel();
    expect(await walletFree(c.org)).toBe(true);
    expect((await billing).errors).toBe(0);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'unpaid' });
    expect(website(w, s.websiteId)).toBeNull();
    expect(await chargesOf(w, s.id)).toHaveLength(1);
  });
});
