import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import type { LedgerKind, PlatformAccount, ServerStatus, TicketStatus } from '../../src/db/types.ts';
import { post } from '../../src/domain/ledger/post.ts';
import { dashboardDays } from '../../src/domain/operations/dashboard.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn } from '../helpers/people.ts';
import { seedServerCatalogue, usd } from '../helpers/servers.ts';

/**
 * Issue 16 item 9: the admin dashboard's figures are the platform's real numbers. The cast:
 * Ada runs the platform; Olivia (Acme) tops up and runs servers; Gus (Globex) used more
 * transfer than he paid for and is in arrears. Ledger postings are made the one real way
 * (post), today by the database's clock; the dashboard's window follows the app's clock, so
 * moving that clock moves today's postings into the past.
 */

let ctx: TestContext;
let ada: TestBrowser;
let html: string;
const DAY = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);

async function posting(
  orgId: string,
  kind: LedgerKind,
  walletAmount: bigint,
  account: PlatformAccount,
  details: Record<string, string> = {},
) {
  await inTransaction(ctx.db, async (trx) => {
    const wallet = await trx
      .selectFrom('wallets')
      .select(['id', 'currency'])
      .where('organization_id', '=', orgId)
      .executeTakeFirstOrThrow();
    await post(trx, {
      idempotencyKey: `dashboard-test:${randomUUID()}`,
      kind,
      organizationId: orgId,
      currency: wallet.currency,
      description: kind,
      allowNegative: true,
      details,
      lines: [
        { walletId: wallet.id, amount: walletAmount },
        { account, amount: -walletAmount },
      ],
    });
  });
}

const figure = (testid: string) =>
  new RegExp(`data-testid="${testid}">[\\s\\S]*?<span[^>]*data-value>([^<]*)</span>\\s*<span[^>]*>([^<]*)</span>`)
    .exec(html)
    ?.slice(1);
const row = (day: string) =>
  [...html.matchAll(new RegExp(`<tr><th scope="row">${day}</th>((?:<td>[^<]*</td>)+)</tr>`, 'g'))].map((m) =>
    [...m[1]!.matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]),
  );

beforeAll(async () => {
  ctx = await createTestContext();
  const admin = await createPerson(ctx, 'Ada Admin', { isAdmin: true });
  const olivia = await createPerson(ctx, 'Olivia Owner');
  const gus = await createPerson(ctx, 'Gus Globex');
  const sam = await createPerson(ctx, 'Sam Signup');
  const now = Date.now();
  const setCreated = (id: string, at: Date) =>
    ctx.db.updateTable('users').set({ created_at: at }).where('id', '=', id).execute();
  await setCreated(admin.id, new Date(now - 40 * DAY)); // before the window
  await setCreated(olivia.id, new Date(now - 2 * DAY));
  await setCreated(sam.id, new Date(now - 2 * DAY));
  // Gus signed up today.

  // Money in: top-ups of completed PayPal payments (PayPal clearing → wallet); a reversal and an
  // adjustment are not top-ups.
  const payment = async (orgId: string, amount: bigint, refunded = 0n) =>
    (
      await ctx.db
        .insertInto('payments')
        .values({
          organization_id: orgId,
          amount,
          currency: 'USD',
          status: 'completed',
          capture_id: randomUUID(),
          refunded_amount: refunded,
          completed_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  const p1 = await payment(olivia.organization.id, usd(25), usd(5));
  const p2 = await payment(gus.organization.id, usd(4));
  await posting(olivia.organization.id, 'top_up', usd(25), 'paypal_clearing', { payment_id: p1 });
  await posting(gus.organization.id, 'top_up', usd(4), 'paypal_clearing', { payment_id: p2 });
  await posting(olivia.organization.id, 'top_up_reversal', -usd(5), 'paypal_clearing', { payment_id: p1 });
  await posting(olivia.organization.id, 'adjustment', usd(10), 'adjustments');
  // Usage: three server hours, a refund of unused minutes, and Gus's transfer overage.
  for (let i = 0; i < 3; i++) await posting(olivia.organization.id, 'vps_charge', -usd(0, 2), 'vps_revenue');
  await posting(olivia.organization.id, 'vps_refund', usd(0, 1), 'vps_revenue');
  await posting(gus.organization.id, 'egress_charge', -usd(5, 50), 'egress_revenue');

  const catalogue = await seedServerCatalogue(ctx.db);
  const server = (orgId: string, status: ServerStatus) =>
    ctx.db
      .insertInto('servers')
      .values({
        organization_id: orgId,
        provider_id: catalogue.providerId,
        plan_id: catalogue.plans.small.id,
        create_tag: randomUUID(),
        label: `s-${randomUUID().slice(0, 8)}`,
        region: 'us-east',
        image: 'debian12',
        status,
        deleted_at: status === 'deleted' ? new Date() : null,
      })
      .execute();
  for (const s of ['running', 'running', 'offline', 'deleted', 'failed'] as const)
    await server(olivia.organization.id, s);
  await server(gus.organization.id, 'suspended');

  const category = await ctx.db
    .selectFrom('ticket_categories')
    .select('id')
    .where('is_default', '=', true)
    .executeTakeFirstOrThrow();
  const ticket = (status: TicketStatus, assignee: string | null = null) =>
    ctx.db
      .insertInto('tickets')
      .values({
        organization_id: olivia.organization.id,
        subject: status,
        category_id: category.id,
        status,
        assignee_id: assignee,
      })
      .execute();
  for (const s of ['open', 'customer_reply', 'resolved', 'closed'] as const) await ticket(s);
  await ticket('answered', admin.id);

  const run = (queue: string, status: 'failed' | 'succeeded', hoursAgo: number) =>
    ctx.db
      .insertInto('job_runs')
      .values({
        queue,
        status,
        started_at: new Date(now - hoursAgo * 3_600_000),
        error: status === 'failed' ? 'boom' : null,
      })
      .execute();
  await run('billing.hourly', 'failed', 2);
  await run('servers.sync', 'failed', 30); // yesterday's, outside 24 h
  await run('servers.sync', 'succeeded', 1);
  await sql`insert into pgboss.job (name, data, state, started_on, completed_on) values ('email.send', '{}', 'failed', now(), now())`.execute(
    ctx.db,
  );

  ada = await signedIn(ctx, admin.email);
  const res = await ada.get('/admin');
  expect(res.status).toBe(200);
  html = await res.text();
});
afterAll(() => ctx?.close());

describe('the admin dashboard', () => {
  it('shows 30 days of top-ups and usage charges from the ledger, each linking to its list', () => {
    expect(figure('figure-top-ups')).toEqual(['$29.00', 'Captured PayPal payments']);
    expect(figure('figure-usage')).toEqual(['$5.55', 'Servers, transfer and hosting']);
    expect(html).toContain('href="/admin/billing/payments" data-testid="figure-top-ups"');
    expect(html).toContain('href="/admin/billing" data-testid="figure-usage"');
    expect(row(today())).toEqual([['$29.00', '$5.55'], ['1']]);
  });

  it('counts sign-ups per day in the window, not before it', () => {
    const twoDaysAgo = new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10);
    expect(figure('figure-sign-ups')).toEqual(['3', '4 users in 4 organizations']);
    expect(row(twoDaysAgo)[1]).toEqual(['2']);
    expect(html).toContain('href="/admin/users" data-testid="figure-sign-ups"');
  });

  it('counts live servers (not deleted or failed), open tickets (not resolved or closed), arrears and failed jobs', () => {
    expect(figure('figure-servers')).toEqual(['4', '2 running']);
    expect(figure('figure-tickets')).toEqual(['3', '2 unassigned']);
    expect(figure('figure-arrears')).toEqual(['1', '-$1.50 owed']);
    expect(figure('figure-jobs')).toEqual(['2', 'billing.hourly']);
    for (const href of ['/admin/servers', '/admin/tickets', '/admin/billing/arrears', '/admin/jobs'])
      expect(html).toContain(`href="${href}" data-testid=`);
  });

  it('draws its charts as accessible SVG images with the numbers in a table, and no script', () => {
    const charts = [...html.matchAll(/<svg viewBox="0 0 800 220"[^>]*role="img" aria-labelledby="([^" ]+) ([^"]+)"/g)];
    expect(charts).toHaveLength(2);
    for (const [, titleId, descId] of charts) {
      expect(html).toMatch(new RegExp(`<title id="${titleId}">[^<]+</title>`));
      expect(html).toMatch(new RegExp(`<desc id="${descId}">[^<]+</desc>`));
    }
    expect(html).toContain('<caption>Top-ups and usage charges per day, last 30 days</caption>');
    expect(html).toContain(`<rect x=`);
    expect(html).toContain(`<title>${today()}: Top-ups $29.00</title>`);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
    expect(dashboardDays(new Date()).map((d) => row(d).length)).toEqual(Array(30).fill(2));
  });

  it('moves with the clock: three days on, today’s money is three days old; 31 days on, it is out of the window', async () => {
    const real = today();
    // Signed in again each time: a session left idle for days has ended.
    ctx.clock.set(new Date(Date.now() + 3 * DAY));
    html = await (await (await signedIn(ctx, 'ada.admin@example.test')).get('/admin')).text();
    expect(row(real)[0]).toEqual(['$29.00', '$5.55']);
    expect(row(ctx.clock.now().toISOString().slice(0, 10))).toEqual([['$0.00', '$0.00'], ['0']]);
    expect(figure('figure-jobs')?.[0]).toBe('0'); // both failures are days old by the app's clock
    ctx.clock.set(new Date(Date.now() + 31 * DAY));
    html = await (await (await signedIn(ctx, 'ada.admin@example.test')).get('/admin')).text();
    expect(figure('figure-top-ups')?.[0]).toBe('$0.00');
    expect(figure('figure-usage')?.[0]).toBe('$0.00');
    ctx.clock.set(new Date());
  });

  it('is for platform staff only', async () => {
    const olivia = await signedIn(ctx, 'olivia.owner@example.test');
    expect((await olivia.get('/admin')).status).toBe(404);
  });
});
