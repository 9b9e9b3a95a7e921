import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcilePaymentsJob } from '../../jobs/reconcile-payments.ts';
import { apiAs } from '../billing/helpers.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
let admin: TestBrowser;
let ada: Awaited<ReturnType<typeof createPerson>>;

beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000' });
  ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
  admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');
});
afterAll(async () => ctx.close());

/** Olga's organization, one of its own for each test; its wallet, ledger and audit trail. */
async function olgas() {
  const olga = await createPerson(ctx, 'Olga Owner', { email: uniqueEmail('Olga Owner'), verified: true });
  const org = olga.organization.id;
  return {
    olga,
    org,
    balance: async () =>
      (
        await ctx.db
          .selectFrom('wallets')
          .select('balance')
          .where('organization_id', '=', org)
          .executeTakeFirstOrThrow()
      ).balance,
    adjustments: () =>
      ctx.db
        .selectFrom('ledger_transactions')
        .select(['id', 'idempotency_key', 'created_by', 'details'])
        .where('organization_id', '=', org)
        .where('idempotency_key', 'like', 'adjustment:%')
        .execute(),
    audits: () =>
      ctx.db
        .selectFrom('activity_log')
        .selectAll()
        .where('action', '=', 'admin.wallet_adjusted')
        .where('organization_id', '=', org)
        .execute(),
    /** Ada fills in the adjustment form on the organization's billing page. */
    async adjust(form: Record<string, string>) {
      await admin.get(`/admin/billing/organizations/${org}`);
      const id = /name="adjustment_id" value="([^"]+)"/.exec(admin.lastHtml)![1]!;
      return {
        id,
        res: await admin.post(`/admin/billing/organizations/${org}/adjustments`, { adjustment_id: id, ...form }),
      };
    },
  };
}

describe('manual wallet adjustments (pages)', () => {
  it('lists wallets with balances and finds an organization by name', async () => {
    const { org } = await olgas();
    expect((await admin.get('/admin/billing?q=olga')).status).toBe(200);
    expect(admin.lastHtml).toContain(`id="wallet-${org}"`);
    expect((await admin.get('/admin/billing/payments')).status).toBe(200);
    expect((await admin.get('/admin/billing/reconciliation')).status).toBe(200);
  });

  it('credits, then debits, each one ledger transaction, audited with the admin as actor', async () => {
    const { org, balance, adjust, adjustments, audits } = await olgas();
    const before = await balance();
    const credit = await adjust({ direction: 'credit', amount: '10.50', reason: 'Goodwill for the outage' });
    expect(credit.res.status).toBe(303);
    expect(await balance()).toBe(before + 10_500_000n);
    const debit = await adjust({ direction: 'debit', amount: '0.000001', reason: 'Rounding fix' });
    expect(debit.res.status).toBe(303);
    expect(await balance()).toBe(before + 10_499_999n);
    const rows = await adjustments();
    expect(rows.map((r) => r.idempotency_key).sort()).toEqual(
      [`adjustment:${credit.id}`, `adjustment:${debit.id}`].sort(),
    );
    expect(rows.every((r) => r.created_by === ada.id)).toBe(true);
    const log = await audits();
    expect(log).toHaveLength(2);
    expect(log.find((l) => l.details.direction === 'credit')).toMatchObject({
      actor_user_id: ada.id,
      organization_id: org,
      details: { amount: '10.50', direction: 'credit', reason: 'Goodwill for the outage' },
    });
    await admin.get(`/admin/billing/organizations/${org}`);
    expect(admin.lastHtml).toContain('Goodwill for the outage');
    expect(admin.lastHtml).toContain('Ada Admin');
  });

  it('refuses a debit below zero (422, the form again, nothing written) unless allowed', async () => {
    const { org, balance, adjust, adjustments, audits } = await olgas();
    await fundWallet(ctx.db, org, 40_000_000n);
    const before = await balance();
    const [n, a] = [(await adjustments()).length, (await audits()).length];
    const refused = await adjust({ direction: 'debit', amount: '1000', reason: 'Too much' });
    expect(refused.res.status).toBe(422);
    expect(admin.lastHtml).toContain('id="adjustment-form"');
    expect(admin.lastHtml).toContain('does not cover');
    expect(await balance()).toBe(before);
    expect((await adjustments()).length).toBe(n);
    expect((await audits()).length).toBe(a);

    const allowed = await adjust({
      direction: 'debit',
      amount: '1000',
      reason: 'Chargeback fee',
      allow_negative: 'on',
    });
    expect(allowed.res.status).toBe(303);
    expect(await balance()).toBe(before - 1_000_000_000n);
  });

  it('refuses bad amounts and a missing reason', async () => {
    const { balance, adjust, adjustments } = await olgas();
    for (const amount of ['', '-1', '0', '1e2', '0.0000001', '10,00']) {
      expect((await adjust({ direction: 'credit', amount, reason: 'x' })).res.status).toBe(422);
    }
    expect((await adjust({ direction: 'credit', amount: '1', reason: '  ' })).res.status).toBe(422);
    expect(await balance()).toBe(0n);
    expect(await adjustments()).toEqual([]);
  });

  it('posts a double submit of one form once', async () => {
    const { org, balance, adjust, adjustments, audits } = await olgas();
    const before = await balance();
    const { id } = await adjust({ direction: 'credit', amount: '5', reason: 'Double click' });
    const again = await admin.post(`/admin/billing/organizations/${org}/adjustments`, {
      adjustment_id: id,
      direction: 'credit',
      amount: '5',
      reason: 'Double click',
    });
    expect(again.status).toBe(303);
    expect(await balance()).toBe(before + 5_000_000n);
    expect((await adjustments()).filter((r) => r.idempotency_key === `adjustment:${id}`)).toHaveLength(1);
    expect((await audits()).filter((l) => l.details.reason === 'Double click')).toHaveLength(1);
  });

  it('is a 404 for everyone else', async () => {
    const { olga, org, audits } = await olgas();
    const member = await signedIn(ctx, olga.email, PASSWORD, '192.0.2.2');
    for (const path of [
      '/admin/billing',
      `/admin/billing/organizations/${org}`,
      '/admin/billing/payments',
      '/admin/billing/reconciliation',
    ]) {
      expect((await member.get(path)).status).toBe(404);
    }
    await member.get('/dashboard');
    const res = await member.post(`/admin/billing/organizations/${org}/adjustments`, {
      adjustment_id: randomUUID(),
      direction: 'credit',
      amount: '100',
      reason: 'self-service',
    });
    expect(res.status).toBe(404);
    expect(await audits()).not.toContainEqual(expect.objectContaining({ actor_user_id: olga.id }));
  });
});

describe('POST /api/v1/admin/organizations/{id}/wallet/adjustments', () => {
  it('adjusts for a platform admin token (201), honours Idempotency-Key, 404s an unknown organization', async () => {
    const { org, balance } = await olgas();
    const api = await apiAs(ctx, ada.email);
    const before = await balance();
    const path = `/admin/organizations/${org}/wallet/adjustments`;
    const body = { amount: '2.25', direction: 'credit', reason: 'API credit' };
    const k = randomUUID();
    const first = await api('POST', path, body, { 'idempotency-key': k });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ id: expect.any(String), balance: expect.any(String) });
    const replay = await api('POST', path, body, { 'idempotency-key': k });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    expect(await balance()).toBe(before + 2_250_000n);

    const refused = await api('POST', path, { amount: '1000000', direction: 'debit', reason: 'no' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('insufficient_funds');
    expect(await balance()).toBe(before + 2_250_000n);
    expect((await api('POST', `/admin/organizations/${randomUUID()}/wallet/adjustments`, body)).status).toBe(404);
  });

  it('is 403 for anyone but a platform admin', async () => {
    const { olga, org, balance } = await olgas();
    const api = await apiAs(ctx, olga.email);
    const res = await api('POST', `/admin/organizations/${org}/wallet/adjustments`, {
      amount: '100',
      direction: 'credit',
      reason: 'me',
    });
    expect(res.status).toBe(403);
    expect(await balance()).toBe(0n);
  });
});

describe('reconciliation without PayPal', () => {
  it('records a run that checked nothing, with a note', async () => {
    const summary = await reconcilePaymentsJob(ctx.deps, null);
    expect(summary).toMatchObject({ checked: 0, note: expect.stringContaining('No PayPal') });
    const run = await ctx.db
      .selectFrom('job_runs')
      .selectAll()
      .where('queue', '=', 'billing.reconcile-payments')
      .executeTakeFirstOrThrow();
    expect(run.status).toBe('succeeded');
  });
});
