import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerKind, PlatformAccount } from '../../src/db/types.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { fundWallet } from '../helpers/money.ts';
import { apiAs } from './helpers.ts';
import { seedServerCatalogue, usd, type SeededCatalogue } from '../helpers/servers.ts';

/**
 * The /billing page's figures for a wallet with a history across three months: top-ups,
 * server, transfer and hosting charges, their refunds and adjustments, servers billed by the
 * hour, a top-up PayPal is holding, and another organization's money beside it. Every figure
 * is worked out by hand below; the page must show exactly these, in few database round trips.
 *
 * History is written with the dates it happened on (the ledger only takes "now" through
 * post()), each posting balanced and with its running balance, in time order, as post() would.
 */
let ctx: TestContext;
let catalogue: SeededCatalogue;

beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTHENTICATED: '100000', RATE_LIMIT_AUTH_ACTIONS: '10000' });
  catalogue = await seedServerCatalogue(ctx.db);
});
afterAll(async () => ctx.close());

const COUNTER: Partial<Record<LedgerKind, PlatformAccount>> = {
  top_up: 'paypal_clearing',
  vps_charge: 'vps_revenue',
  vps_refund: 'vps_revenue',
  egress_charge: 'egress_revenue',
  hosting_charge: 'hosting_revenue',
  hosting_refund: 'hosting_revenue',
  adjustment: 'adjustments',
};

/** A balanced posting to the organization's wallet (`amount` signed, as the wallet sees it) dated `at`; returns its id. */
async function postedAt(orgId: string, at: string, kind: LedgerKind, amount: bigint, description: string) {
  let details = {};
  if (kind === 'top_up') {
    // A top-up always credits a completed payment (the ledger's invariants check it).
    const payment = await ctx.db
      .insertInto('payments')
      .values({ organization_id: orgId, amount, currency: 'USD', status: 'completed', created_at: new Date(at) })
      .returning('id')
      .executeTakeFirstOrThrow();
    details = { payment_id: payment.id };
  }
  const { rows } = await sql<{ id: string }>`
    with w as (
      update wallets set balance = balance + ${amount}::bigint where organization_id = ${orgId}::uuid
      returning id, balance
    ), t as (
      insert into ledger_transactions (idempotency_key, kind, organization_id, currency, description, allow_negative,
                                       details, created_at)
      values (${`test:${crypto.randomUUID()}`}, ${kind}, ${orgId}::uuid, 'USD', ${description}, true,
              ${JSON.stringify(details)}::jsonb, ${at}::timestamptz)
      returning id
    ), e as (
      insert into ledger_entries (transaction_id, wallet_id, platform_account, amount, balance_after, created_at)
      select t.id, w.id, null, ${amount}::bigint, w.balance, ${at}::timestamptz from t, w
      union all
      select t.id, null, ${COUNTER[kind]!}, -${amount}::bigint, null, ${at}::timestamptz from t
    )
    select id from t`.execute(ctx.db);
  return rows[0]!.id;
}

async function server(orgId: string, label: string, plan: 'small' | 'medium', status: string, backups = false) {
  const row = await ctx.db
    .insertInto('servers')
    .values({
      organization_id: orgId,
      provider_id: catalogue.providerId,
      plan_id: catalogue.plans[plan].id,
      create_tag: `test-${crypto.randomUUID()}`,
      label,
      region: 'us-east',
      image: 'debian12',
      status: status as 'running',
      backups_enabled: backups,
      deleted_at: status === 'deleted' ? new Date('2026-02-01T00:00:00Z') : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Queries the app's own pool sends while `fn` runs (as bench/run.ts counts them; pg-boss and LISTEN apart). */
async function roundTrips(fn: () => Promise<unknown>): Promise<string[]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen: string[] = [];
  proto.query = function counted(this: { connectionParameters?: { application_name?: string } }, ...args: unknown[]) {
    if (this.connectionParameters?.application_name === 'skypanel')
      seen.push(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text));
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return seen;
}

// "Now" on the test clock: 10 March 2026, 15:00 UTC (11:00 in New York, where Hana lives).
const NOW = new Date('2026-03-10T15:00:00Z');
let hana: {
  org: string;
  email: string;
  browser: TestBrowser;
  chargeId: string;
  topUpId: string;
  servers: Record<string, string>;
};

beforeAll(async () => {
  const person = await createPerson(ctx, 'Hana Harbor', { verified: true, email: uniqueEmail('Hana Harbor') });
  const org = person.organization.id;
  await ctx.db.updateTable('users').set({ timezone: 'America/New_York' }).where('id', '=', person.id).execute();
  const servers = {
    web: await server(org, 'web-1', 'small', 'running'),
    db: await server(org, 'db-1', 'medium', 'offline', true),
    sleepy: await server(org, 'sleepy-1', 'small', 'suspended'),
    old: await server(org, 'old-1', 'small', 'deleted'),
  };

  // Running balance after each line on the right.
  await postedAt(org, '2026-01-05T10:00:00Z', 'top_up', usd(100), 'PayPal top-up'); //          100.000000
  await postedAt(org, '2026-01-20T09:00:00Z', 'vps_charge', -12_345_678n, 'Servers, January'); // 87.654322
  await postedAt(org, '2026-02-10T12:00:00Z', 'vps_charge', -usd(20), 'Servers, February'); //    67.654322
  await postedAt(org, '2026-02-11T12:00:00Z', 'vps_refund', usd(2, 50), 'Unused minutes'); //     70.154322
  const topUpId = await postedAt(org, '2026-02-25T12:00:00Z', 'top_up', usd(50), 'PayPal top-up'); // 120.154322
  await postedAt(org, '2026-02-28T23:30:00Z', 'hosting_charge', -usd(5), 'Hosting, March'); //     115.154322
  await postedAt(org, '2026-03-01T03:00:00Z', 'egress_charge', -usd(1, 25), 'Transfer'); //        113.904322
  const chargeId = await postedAt(org, '2026-03-05T14:00:00Z', 'vps_charge', -usd(3, 50), 'Servers: 2 server-hours'); // 110.404322
  await postedAt(org, '2026-03-06T12:00:00Z', 'adjustment', usd(10), 'Goodwill credit'); //        120.404322
  await postedAt(org, '2026-03-08T12:00:00Z', 'hosting_refund', usd(1), 'Hosting refund'); //      121.404322
  await postedAt(org, '2026-03-09T12:00:00Z', 'adjustment', -usd(20), 'Correction'); //            101.404322
  // The 3.50 posting is one hour of two servers.
  await ctx.db
    .insertInto('server_charges')
    .values(
      [
        { server_id: servers.web, amount: usd(1, 50), rate: usd(1, 50) },
        { server_id: servers.db, amount: usd(2), rate: usd(2) },
      ].map((c) => ({
        ...c,
        hour_start: new Date('2026-03-05T13:00:00Z'),
        organization_id: org,
        currency: 'USD',
        ledger_transaction_id: chargeId,
      })),
    )
    .execute();
  // A top-up PayPal holds (captured, not cleared yet): in progress, not credited.
  await ctx.db
    .insertInto('payments')
    .values({
      organization_id: org,
      amount: usd(30),
      currency: 'USD',
      status: 'pending',
      created_at: new Date('2026-03-10T09:00:00Z'),
    })
    .execute();

  // Someone else's money on the same days, which Hana's page must not count.
  const greta = await createPerson(ctx, 'Greta Globex', { verified: true, email: uniqueEmail('Greta Globex') });
  await postedAt(greta.organization.id, '2026-03-02T12:00:00Z', 'top_up', usd(500), 'PayPal top-up');
  await postedAt(greta.organization.id, '2026-03-03T12:00:00Z', 'vps_charge', -usd(77), 'Servers');
  await server(greta.organization.id, 'web-1', 'medium', 'running');

  ctx.clock.set(NOW);
  hana = { org, email: person.email, browser: await signedIn(ctx, person.email), chargeId, topUpId, servers };
});

const cardValue = (html: string, heading: string) =>
  new RegExp(`>${heading}</h2>\\s*<p[^>]*>([^<]*(?:<a[^>]*>[^<]*</a>)?)</p>`).exec(html)?.[1];

describe('the billing page of a wallet with three months of history', () => {
  it('shows the balance, this month’s and all-time spend and the last top-up, exactly', async () => {
    const html = await (await hana.browser.get('/billing')).text();
    expect(html).toContain('data-testid="wallet-balance">$101.40<');
    // March (UTC): transfer 1.25 + servers 3.50 − hosting refund 1.00. Top-ups and adjustments are not spend.
    expect(cardValue(html, 'Spent this month')).toBe('$3.75');
    // 12.345678 + 20 − 2.50 + 5 + 1.25 + 3.50 − 1 = 38.595678.
    expect(cardValue(html, 'Spent in total')).toBe('$38.60');
    expect(cardValue(html, 'Last top-up')).toBe(
      `<a class="link" href="/billing/transactions/${hana.topUpId}">$50.00</a>`,
    );
    expect(html).toContain('<time datetime="2026-02-25T12:00:00.000Z">');
  });

  it('counts the servers billed by the hour and the runway at their burn', async () => {
    const html = await (await hana.browser.get('/billing')).text();
    // web-1 running (small, 15.00), db-1 off (medium 30.00 + backups 6.00), sleepy-1 suspended (15.00); old-1 is deleted.
    expect(html).toContain('data-testid="active-servers">1<');
    expect(html).toContain('3 in all, billed every hour');
    expect(html).toContain('data-testid="monthly-estimate">$66.00<');
    // Burn: 15/730 → 0.020548 twice, 36/730 → 0.049315: 0.090411 an hour; 101.404322 / (0.090411 × 24) = 46.73… days.
    expect(html).toContain('data-testid="runway">46.7 days<');
    expect(html).toContain('How long the balance lasts at $0.0904 an hour');
  });

  it('draws the last 30 days of spend by the viewer’s days, refunds netted', async () => {
    const html = await (await hana.browser.get('/billing')).text();
    // New York days 9 Feb – 10 Mar: 20.00 on 10 Feb, −2.50 on 11 Feb, 5.00 + 1.25 on 28 Feb (the transfer was
    // 1 March in UTC), 3.50 on 5 Mar, −1.00 on 8 Mar.
    expect(html).toMatch(/Total <span[^>]*>\$26\.25</);
    expect(html).toContain('the tallest day is $20.00.');
    const days = [...html.matchAll(/<tr><td class="py-1">([\d-]+)<\/td><td[^>]*>([^<]+)<\/td><\/tr>/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(days).toEqual([
      ['2026-02-10', '$20.00'],
      ['2026-02-28', '$6.25'],
      ['2026-03-05', '$3.50'],
    ]);
    expect(
      [...html.matchAll(/<rect x="(\d+)" y="([\d.]+)" width="14" height="([\d.]+)"/g)].map((m) => m.slice(1)),
    ).toEqual([
      // Day 2 of 30 (10 Feb) is the tallest, 120 high; 6.25 and 3.50 of it.
      ['23', '16', '120'],
      ['383', '98.5', '37.5'],
      ['483', '115', '21'],
    ]);
    expect(html).toContain('>9 Feb</text>');
    expect(html).toContain('>10 Mar</text>');
  });

  it('lists the ten newest lines with their running balances, and the servers behind an hourly charge', async () => {
    const html = await (await hana.browser.get('/billing')).text();
    const recent = html.slice(html.indexOf('id="recent-h"'));
    expect([...recent.matchAll(/data-label="Amount">([^<]+)</g)].map((m) => m[1])).toEqual([
      '-$20.00',
      '+$1.00',
      '+$10.00',
      '-$3.50',
      '-$1.25',
      '-$5.00',
      '+$50.00',
      '+$2.50',
      '-$20.00',
      '-$12.3457',
    ]);
    expect([...recent.matchAll(/data-label="Balance">([^<]+)</g)].map((m) => m[1])).toEqual([
      '$101.40',
      '$121.40',
      '$120.40',
      '$110.40',
      '$113.90',
      '$115.15',
      '$120.15',
      '$70.15',
      '$67.65',
      '$87.65',
    ]);
    expect([...recent.matchAll(/data-label="Type">([^<]+)</g)].map((m) => m[1])).toEqual([
      'Adjustment',
      'Hosting refund',
      'Adjustment',
      'Server charge',
      'Transfer charge',
      'Hosting charge',
      'Top-up',
      'Server refund',
      'Server charge',
      'Server charge',
    ]);
    expect(recent).toContain('Servers: 2 server-hours · 2 servers</summary>');
    expect(recent).toContain(
      `<li data-server="${hana.servers.db}"><a class="link" href="/vps/${hana.servers.db}">db-1</a>: 1 hour, $2.00</li>` +
        `<li data-server="${hana.servers.web}"><a class="link" href="/vps/${hana.servers.web}">web-1</a>: 1 hour, $1.50</li>`,
    );
    expect(recent).toContain(`href="/billing/transactions/${hana.chargeId}"`);
    // The January top-up is the eleventh line: on the full list, not here.
    expect(recent).not.toContain('+$100.00');
  });

  it('shows the top-up PayPal is holding', async () => {
    const html = await (await hana.browser.get('/billing')).text();
    expect(html).toContain('Top-ups in progress');
    expect(html).toMatch(/<span class="font-medium tabular-nums">\$30\.00<\/span> · started/);
    expect(html).toContain('PayPal is holding it; credited when it clears');
  });

  it('agrees with the JSON API, which reads the same figures its own way', async () => {
    const api = await apiAs(ctx, hana.email);
    expect((await api('GET', '/wallet')).body).toEqual({
      organization_id: hana.org,
      balance: '101.40',
      currency: 'USD',
      spent_this_month: '3.75',
      spent_all_time: '38.60',
      last_top_up_at: '2026-02-25T12:00:00.000Z',
    });
    expect((await api('GET', '/billing/summary')).body).toEqual({
      balance: '101.40',
      month_to_date: '3.75',
      monthly_estimate: '66.00',
      hourly_burn: '0.090411',
      runway_days: 46.7,
      active_servers: 1,
      billed_servers: 3,
      currency: 'USD',
    });
  });

  it('is read in one statement, then kept in the data cache until the organization’s data changes', async () => {
    const view = async () => {
      let status = 0;
      const queries = await roundTrips(async () => {
        status = (await hana.browser.get('/billing')).status;
      });
      expect(status).toBe(200);
      return queries;
    };
    ctx.deps.cache.forget('*');
    // The wallet, its spend, lines, servers and top-ups in progress: one statement.
    expect((await view()).filter((q) => /ledger_entries/.test(q))).toHaveLength(1);
    const warm = await view();
    if (!ctx.deps.cache.active) {
      // Without the data cache (its LISTEN connection down) everything is read every time.
      expect(warm.filter((q) => /ledger_entries/.test(q))).toHaveLength(1);
      return;
    }
    expect(warm, warm.join('\n')).toEqual([]);
    // A posting moves the wallet: the next view reads the overview again.
    await fundWallet(ctx.db, hana.org, 1_000_000n);
    expect((await view()).filter((q) => /ledger_entries/.test(q))).toHaveLength(1);
  });
});
