import { describe, expect, it, onTestFinished } from 'vitest';
import { reconcilePaymentsJob } from '../../jobs/reconcile-payments.ts';
import { makeBillingWorld, orderOf, type BillingWorld } from '../billing/helpers.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';

/** The job looks at every payment there is: each test has a world (database, PayPal) of its own. */
let w: BillingWorld;
async function ownWorld() {
  const made = await makeBillingWorld();
  onTestFinished(() => made.close());
  w = made;
}

async function approvedTopUp(amount: string) {
  const res = await w.olivia('POST', '/wallet/top-ups', { amount });
  expect(res.status).toBe(201);
  const orderId = await orderOf(w.ctx, res.body.id);
  w.emu.approve(orderId);
  return { id: res.body.id as string, orderId };
}

const findings = () => w.ctx.db.selectFrom('reconciliation_findings').selectAll().execute();

describe('daily payment reconciliation', () => {
  it('finds a capture PayPal completed that the ledger never credited, once per run date, moving no money', async () => {
    await ownWorld();
    // A healthy top-up: captured and credited through the app.
    const good = await approvedTopUp('25.00');
    expect((await w.olivia('POST', `/wallet/top-ups/${good.id}/capture`)).status).toBe(200);
    // The planted mismatch: captured at PayPal behind the app's back, no credit in the ledger.
    const lost = await approvedTopUp('40.00');
    const captured = await w.ctx.deps.paypal!.captureOrder(lost.orderId, `test-${lost.id}`);
    if (captured.outcome !== 'captured') throw new Error('expected a capture');
    await w.ctx.db.updateTable('payments').set({ capture_id: captured.capture.id }).where('id', '=', lost.id).execute();
    const ledgerBefore = await w.ctx.db
      .selectFrom('ledger_transactions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();

    const summary = await reconcilePaymentsJob(w.ctx.deps, null);
    expect(summary).toMatchObject({
      checked: 2,
      findings: 1,
      new_findings: 1,
      problems: { completed_not_credited: 1 },
    });
    expect(await findings()).toEqual([
      expect.objectContaining({
        payment_id: lost.id,
        capture_id: captured.capture.id,
        problem: 'completed_not_credited',
      }),
    ]);

    // Again the same day: nothing new.
    const again = await reconcilePaymentsJob(w.ctx.deps, null);
    expect(again).toMatchObject({ findings: 1, new_findings: 0 });
    expect(await findings()).toHaveLength(1);

    const runs = await w.ctx.db
      .selectFrom('job_runs')
      .selectAll()
      .where('queue', '=', 'billing.reconcile-payments')
      .execute();
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(runs[0]!.summary).toMatchObject({ checked: 2, findings: 1 });
    const ledgerAfter = await w.ctx.db
      .selectFrom('ledger_transactions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(ledgerAfter.n).toBe(ledgerBefore.n);

    // Staff see it on the report.
    const ada = await createPerson(w.ctx, 'Ada Admin', { isAdmin: true, verified: true });
    const admin = await signedIn(w.ctx, ada.email, PASSWORD, '192.0.2.9');
    expect((await admin.get('/admin/billing/reconciliation')).status).toBe(200);
    expect(admin.lastHtml).toContain('completed_not_credited');
    expect(admin.lastHtml).toContain(captured.capture.id);
    expect((await admin.get('/admin/billing/payments?status=completed')).status).toBe(200);
    expect(admin.lastHtml).toContain(`/admin/billing/payments/${good.id}`);
    expect(admin.lastHtml).not.toContain(`/admin/billing/payments/${lost.id}`);
  });

  it('flags an amount mismatch and a payment pending for more than 72 hours', async () => {
    await ownWorld();
    const t = await approvedTopUp('10.00');
    expect((await w.olivia('POST', `/wallet/top-ups/${t.id}/capture`)).status).toBe(200);
    // Our record says another amount than PayPal captured.
    await w.ctx.db.updateTable('payments').set({ amount: 11_000_000n }).where('id', '=', t.id).execute();
    const stuck = await w.ctx.db
      .insertInto('payments')
      .values({
        organization_id: w.cast.acme,
        amount: 5_000_000n,
        currency: 'USD',
        status: 'pending',
        created_at: new Date(w.ctx.clock.now().getTime() - 80 * 3_600_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await reconcilePaymentsJob(w.ctx.deps, null);
    const rows = await findings();
    expect(rows.map((r) => [r.payment_id, r.problem]).sort()).toEqual(
      [
        [t.id, 'amount_mismatch'],
        [stuck.id, 'pending_too_long'],
      ].sort(),
    );
  });
});
