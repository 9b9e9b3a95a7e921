import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { hostingBillingJob } from '../../jobs/hosting-billing.ts';
import type { Actor } from '../../src/domain/access/actor.ts';
import { runHostingBilling } from '../../src/domain/hosting/billing.ts';
import { monthsAfter } from '../../src/domain/hosting/periods.ts';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import { post } from '../../src/domain/ledger/post.ts';
import { adjustWallet } from '../../src/domain/wallets/adjustments.ts';
import { inTransaction } from '../../src/db/index.ts';
import { encryptSecret } from '../../src/lib/crypto.ts';
import { createEnhanceClient, type EnhanceClient } from '../../src/providers/enhance/index.ts';
import { startEnhanceEmulator, type StartedEnhanceEmulator } from '../../src/providers/enhance/emulator/index.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { runQueued } from '../helpers/jobs.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { actorFor, staffActor } from '../servers/helpers.ts';

/**
 * Hosting billing's world: an Enhance emulator on 127.0.0.1 reached by the app with the real
 * client, the app on a real database with the integration saved and a Starter plan at $5.00 a
 * month, its clock the test's. Dunning periods: suspension 48 h after a renewal fell due,
 * deletion after 40 days (so two monthly periods can fall due unpaid before it). Services are
 * built directly (no purchase saga): a customer org, subscription and website at the emulator,
 * the service row, and the first month charged as the purchase charges it.
 */
export interface BillingWorld {
  ctx: TestContext;
  emu: StartedEnhanceEmulator;
  panel: EnhanceClient;
  planId: string;
  staff: Actor;
}

export const PRICE = 5_000_000n;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const SUSPEND_HOURS = 48;
export const TERMINATE_DAYS = 40;

export function useBillingWorld(): BillingWorld {
  const w = {} as BillingWorld;
  beforeAll(async () => {
    w.emu = await startEnhanceEmulator();
    w.ctx = await createTestContext({
      DUNNING_SUSPEND_AFTER_HOURS: String(SUSPEND_HOURS),
      DUNNING_TERMINATE_AFTER_DAYS: String(TERMINATE_DAYS),
      RATE_LIMIT_AUTH_ACTIONS: '10000',
      LOGIN_IP_LOCKOUT_ATTEMPTS: '10000',
    });
    w.panel = createEnhanceClient({ baseUrl: w.emu.url, token: w.emu.token, masterOrgId: w.emu.masterOrgId });
    await w.ctx.db
      .insertInto('hosting_integration')
      .values({
        id: 1,
        enabled: true,
        demo: false,
        api_url: w.emu.url,
        master_org_id: w.emu.masterOrgId,
        token_ciphertext: encryptSecret(w.ctx.config.encryptionKeys, w.emu.token),
      })
      .execute();
    const [starter] = await w.panel.listPlans();
    const plan = await w.ctx.db
      .insertInto('hosting_plans')
      .values({
        master_org_id: w.emu.masterOrgId,
        enhance_plan_id: starter!.id,
        upstream_name: starter!.name,
        name: 'Starter',
        monthly_price: PRICE,
        resources: JSON.stringify(starter!.resources),
        allowances: JSON.stringify([]),
        selections: JSON.stringify([]),
        active: true,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    w.planId = plan.id;
    const ada = await createPerson(w.ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada') });
    w.staff = staffActor(ada);
  });
  afterAll(async () => {
    await w.ctx?.close();
    await w.emu?.close();
  });
  return w;
}

/** An owner and their organization (the owner is its billing contact). */
export async function customer(w: BillingWorld, name: string) {
  const owner = await createPerson(w.ctx, name, { verified: true, email: uniqueEmail(name) });
  const org = owner.organization.id;
  return { owner, org, actor: actorFor(owner, org) };
}

/**
 * An active service of `org` whose first period started at `start` (one calendar month), its
 * website live at the emulator; the first month charged from the wallet as the purchase does
 * (funded first, so the balance afterwards is `balance`).
 */
export async function serviceOf(w: BillingWorld, org: string, start: Date, balance = 0n) {
  const domain = `shop-${randomUUID().slice(0, 8)}.test`;
  const customerOrg = await w.panel.createCustomer(`Customer ${domain}`);
  const [starter] = await w.panel.listPlans();
  const subId = await w.panel.createSubscription(customerOrg, { planId: starter!.id });
  const websiteId = await w.panel.createWebsite(customerOrg, { domain, subscriptionId: subId });
  await fundWallet(w.ctx.db, org, PRICE + balance);
  const end = monthsAfter(start, 1);
  const id = await inTransaction(w.ctx.db, async (trx) => {
    const s = await trx
      .insertInto('hosting_services')
      .values({
        organization_id: org,
        plan_id: w.planId,
        master_org_id: w.emu.masterOrgId,
        domain,
        status: 'active',
        monthly_price: PRICE,
        enhance_org_id: customerOrg,
        enhance_subscription_id: subId,
        enhance_website_id: websiteId,
        period_start: start,
        period_end: end,
        purchase_key: randomUUID(),
        saga_state: 'done',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const wallet = await trx
      .selectFrom('wallets')
      .select(['id', 'currency'])
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    const posted = await post(trx, {
      idempotencyKey: `hosting:charge:${s.id}:${start.toISOString()}`,
      kind: 'hosting_charge',
      organizationId: org,
      currency: wallet.currency,
      description: `Web hosting ${domain} (Starter): first month`,
      lines: [
        { walletId: wallet.id, amount: -PRICE },
        { account: 'hosting_revenue', amount: PRICE },
      ],
    });
    await trx
      .insertInto('hosting_charges')
      .values({
        service_id: s.id,
        organization_id: org,
        period_start: start,
        period_end: end,
        amount: PRICE,
        kind: 'purchase',
        ledger_transaction_id: posted.transactionId,
      })
      .execute();
    return s.id;
  });
  return { id, domain, customerOrg, subId, websiteId };
}

/** One scheduled run (all organizations) at the test clock's now; an error for any service fails the test. */
export async function run(w: BillingWorld) {
  const tally = await runHostingBilling(w.ctx.deps);
  if (tally.errors)
    throw new Error(`hosting billing failed for ${tally.errors} service(s); TEST_LOG_LEVEL=error says why`);
  return tally;
}

/** Runs the queued `hosting.billing` jobs as a worker would. */
export const runQueuedBilling = (w: BillingWorld) =>
  runQueued(w.ctx, 'hosting.billing', (data) => hostingBillingJob(w.ctx.deps, data, null));

/** A staff credit to the wallet, through the real adjustment path (which wakes dunning and hosting billing). */
export async function topUp(w: BillingWorld, org: string, amount: string) {
  return adjustWallet(w.ctx.deps, w.staff, {
    organizationId: org,
    values: { adjustment_id: randomUUID(), direction: 'credit', amount, reason: 'Customer paid by bank transfer' },
  });
}

export const serviceRow = (w: BillingWorld, id: string) =>
  w.ctx.db.selectFrom('hosting_services').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

export const chargesOf = (w: BillingWorld, id: string) =>
  w.ctx.db
    .selectFrom('hosting_charges')
    .select(['period_start', 'period_end', 'amount', 'refunded', 'kind'])
    .where('service_id', '=', id)
    .orderBy('period_start')
    .execute();

export async function balanceOf(w: BillingWorld, org: string) {
  const row = await w.ctx.db
    .selectFrom('wallets')
    .select('balance')
    .where('organization_id', '=', org)
    .executeTakeFirstOrThrow();
  return row.balance;
}

/** Hosting emails to `to`, oldest first. */
export const mailTo = (w: BillingWorld, to: string) =>
  w.ctx.db
    .selectFrom('emails')
    .select(['template', 'subject', 'text', 'html'])
    .where('to_address', '=', to)
    .where('template', 'like', 'hosting_%')
    .orderBy('created_at')
    .orderBy('id')
    .execute();

/** The website at the emulator: its status and suspension, or null once force-deleted. */
export function website(w: BillingWorld, id: string) {
  const site = w.emu.state.websites.get(id);
  return site ? { status: site.status, isSuspended: site.isSuspended } : null;
}

/** The PATCH bodies the emulator received for a website. */
export const patchesOf = (w: BillingWorld, websiteId: string) =>
  w.emu
    .requests()
    .filter((r) => r.method === 'PATCH' && r.path.endsWith(`/websites/${websiteId}`))
    .map((r) => ({ status: r.status, body: r.body }));

/** The ledger's promises hold (also checked after every test by test/setup.ts): a wallet's balance is the sum of its entries. */
export async function expectLedgerKept(w: BillingWorld) {
  expect(await checkLedgerInvariants(w.ctx.db)).toEqual([]);
}
