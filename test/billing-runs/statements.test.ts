import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { readLines, type InvoiceLine } from '../../src/domain/invoices/lines.ts';
import { issueStatement } from '../../src/domain/invoices/statements.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { move, pdfText } from '../invoices/fixtures.ts';
import { PASSWORD, signedIn } from '../helpers/people.ts';
import { usd } from '../helpers/servers.ts';
import { actorFor } from '../servers/helpers.ts';
import { customer, serverWorld, type ServerWorld } from '../web-servers/helpers.ts';
import { chargeHour, dbHour } from './helpers.ts';

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

const SMALL = 20_548n; // 15.00 a month / 730
const MEDIUM = 41_096n; // 30.00 a month / 730

const ofType = <T extends InvoiceLine['type']>(all: InvoiceLine[], type: T) =>
  all.filter((l): l is Extract<InvoiceLine, { type: T }> => l.type === type);

describe('a monthly statement of servers charged by the hour', () => {
  it('shows one line per server with its hours and amount, other movements as before, and totals that still add up', async () => {
    const sara = await customer(world, 'Sara Statement', usd(50));
    const org = sara.organization.id;
    const actor = actorFor(sara, org);
    const make = async (label: string, plan: 'small' | 'medium') =>
      (
        await createServer(world.ctx.deps, actor, {
          label,
          region: 'us-east',
          planId: world.catalogue.plans[plan].id,
          image: 'debian12',
        })
      ).server.id;
    const web = await make('web-a', 'small');
    const db = await make('db-b', 'medium');
    // Two earlier hours for both, one posting per hour; one more hour of web-a at zero (cap reached), unposted.
    for (const offset of [-3, -2])
      await chargeHour(world.ctx.db, org, await dbHour(world.ctx.db, offset), [
        { id: web, amount: SMALL, rate: SMALL },
        { id: db, amount: MEDIUM, rate: MEDIUM },
      ]);
    const zeroHour = await dbHour(world.ctx.db, -1);
    await chargeHour(world.ctx.db, org, zeroHour, [{ id: web, amount: 0n, rate: SMALL }]);
    // A charge no server row explains stays a line of its own.
    await move(world.ctx.db, org, 'vps_charge', -1_000_000n, 'Server old-1, by hand');

    const month = (await sql<{ m: string }>`select to_char(now(), 'YYYY-MM') as m`.execute(world.ctx.db)).rows[0]!.m;
    const monthStart = new Date(`${month}-01T00:00:00Z`);
    const was = world.ctx.clock.now();
    world.ctx.clock.set(new Date(Date.UTC(monthStart.getUTCFullYear(), monthStart.getUTCMonth() + 1, 1)));
    onTestFinished(() => world.ctx.clock.set(was));
    const issued = await issueStatement(world.ctx.deps, org, month);
    const row = await world.ctx.db
      .selectFrom('invoices')
      .selectAll()
      .where('id', '=', issued.id)
      .executeTakeFirstOrThrow();
    const lines = readLines(row.lines);

    const zeroInMonth = zeroHour >= monthStart ? 1 : 0;
    expect(ofType(lines, 'server_usage').map((l) => [l.label, l.hours, l.amount])).toEqual([
      ['db-b', 3, -3n * MEDIUM],
      ['web-a', 3 + zeroInMonth, -3n * SMALL],
    ]);
    expect(ofType(lines, 'server_usage')[1]!.description).toBe(`Server web-a: ${3 + zeroInMonth} hours`);
    // Left as transactions: the top-up and the hand-made charge; no hourly posting.
    expect(ofType(lines, 'transaction').map((l) => [l.kind, l.amount])).toEqual([
      ['adjustment', usd(50)],
      ['vps_charge', -1_000_000n],
    ]);
    const wallet = await world.ctx.db
      .selectFrom('wallets')
      .select('balance')
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    const charges = -3n * (SMALL + MEDIUM) - 1_000_000n;
    expect(wallet.balance).toBe(usd(50) + charges);
    const total = (c: string) => ofType(lines, 'total').find((t) => t.category === c)!.amount;
    expect(total('charges')).toBe(charges);
    const opening = ofType(lines, 'opening_balance')[0]!.balance;
    expect(opening + total('credits') + total('charges') + total('refunds')).toBe(
      ofType(lines, 'closing_balance')[0]!.balance,
    );
    expect(ofType(lines, 'closing_balance')[0]!.balance).toBe(wallet.balance);
    expect(row.total).toBe(-charges);

    const browser = await signedIn(world.ctx, sara.email, PASSWORD);
    const page = await (await browser.get(`/invoices/${issued.id}`)).text();
    expect(page).toContain(`Server web-a: ${3 + zeroInMonth} hours`);
    expect(page).toContain('Server db-b: 3 hours');
    expect(page).toContain('Hourly server charges are summed per server for the month');
    const pdf = pdfText(new Uint8Array(await (await browser.get(`/invoices/${issued.id}/pdf`)).arrayBuffer()));
    expect(pdf).toContain('Server db-b: 3 hours');
    expect(pdf).toContain('Server usage');
  });
});
