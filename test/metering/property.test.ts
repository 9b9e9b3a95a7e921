import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runHourlyBilling } from '../../src/domain/metering/hourly.ts';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import {
  at,
  chargesOf,
  deleteServer,
  engineProblems,
  insertServer,
  newOrganization,
  newPlan,
  plusHours,
  setPeriod,
  setPrice,
  useMeteringWorld,
  walletBalance,
} from './helpers.ts';

const w = useMeteringWorld();

type Price = { base: bigint; markup: bigint; backups: bigint };
type Event =
  | { kind: 'create'; plan: 0 | 1; backups: boolean; minute: number; used: number }
  | { kind: 'resize'; server: number; plan: 0 | 1 }
  | { kind: 'backups'; server: number }
  | { kind: 'price'; plan: 0 | 1; base: number; markup: number; backups: number }
  | { kind: 'delete'; server: number; minute: number };

const HOURS = 18;
const cents = fc.integer({ min: 0, max: 4000 }).map((n) => n * 10_000);
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    plan: fc.constantFrom(0 as const, 1 as const),
    backups: fc.boolean(),
    minute: fc.integer({ min: 0, max: 59 }),
    // what the server was charged earlier in the month, as a share of its monthly price (‰)
    used: fc.constantFrom(0, 0, 990, 999, 1000),
  }),
  fc.record({ kind: fc.constant('resize' as const), server: fc.nat(5), plan: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ kind: fc.constant('backups' as const), server: fc.nat(5) }),
  fc.record({
    kind: fc.constant('price' as const),
    plan: fc.constantFrom(0 as const, 1 as const),
    base: cents,
    markup: cents,
    backups: cents,
  }),
  fc.record({ kind: fc.constant('delete' as const), server: fc.nat(5), minute: fc.integer({ min: 0, max: 59 }) }),
);
const scenarioArb = fc.record({
  // events of each hour (applied from that hour on), and whether the job ran in it
  hours: fc.array(fc.record({ events: fc.array(eventArb, { maxLength: 2 }), ran: fc.boolean() }), {
    minLength: HOURS,
    maxLength: HOURS,
  }),
});

let window = 0;

describe('property: random histories are billed exactly', () => {
  it('per server per month: hours × rate in force, capped at the monthly price; never twice; wallet = ledger', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ hours }) => {
        // Each history in a window of its own, crossing a month end (12 hours before it).
        const start = plusHours(
          at(`${2021 + Math.floor(window / 12)}-${String((window % 12) + 1).padStart(2, '0')}-01T00:00:00Z`),
          -12,
        );
        window++;
        const prices: Price[] = [
          { base: 5_000_000n, markup: 1_000_000n, backups: 1_000_000n },
          { base: 20_000_000n, markup: 3_000_000n, backups: 4_000_000n },
        ];
        const priceHistory: Array<Array<{ from: number; price: Price }>> = prices.map((p) => [{ from: -1, price: p }]);
        const plans = [await newPlan(w, prices[0]!), await newPlan(w, prices[1]!)];
        const org = await newOrganization(w.ctx.db, 'Prop');
        const servers: Array<{
          id: string;
          created: number;
          deleted: number | null;
          periods: Array<{ from: number; plan: 0 | 1; backups: boolean }>;
          used: bigint;
        }> = [];
        const pending: number[] = [];
        const bill = async (h: number) => {
          const run = await runHourlyBilling(w.ctx.deps, { hour: plusHours(start, h), trigger: 'schedule' });
          expect(run.status).toBe('succeeded');
        };
        for (let h = 0; h < HOURS; h++) {
          for (const e of hours[h]!.events) {
            const live = servers.filter((s) => s.deleted === null);
            if (e.kind === 'create') {
              const createdAt = new Date(plusHours(start, h).getTime() + e.minute * 60_000);
              const id = await insertServer(w, {
                organizationId: org,
                planId: plans[e.plan]!,
                createdAt,
                backups: e.backups,
              });
              const monthly = priceAt(priceHistory[e.plan]!, h);
              // (only before the month end in the window: the seeded charge is in the month before it)
              const used =
                e.used && h < 12
                  ? ((monthly.base + monthly.markup + (e.backups ? monthly.backups : 0n)) * BigInt(e.used)) / 1000n
                  : 0n;
              if (used > 0n) {
                // charged earlier in the month (before this window): a charge row an hour before it
                await w.ctx.db
                  .insertInto('server_charges')
                  .values({
                    server_id: id,
                    hour_start: plusHours(start, -1),
                    organization_id: org,
                    amount: used,
                    rate: used,
                    currency: 'USD',
                  })
                  .execute();
              }
              servers.push({
                id,
                created: h,
                deleted: null,
                periods: [{ from: h, plan: e.plan, backups: e.backups }],
                used,
              });
            } else if (e.kind === 'price') {
              const p = { base: BigInt(e.base), markup: BigInt(e.markup), backups: BigInt(e.backups) };
              if (priceHistory[e.plan]!.at(-1)!.from === h) continue;
              await setPrice(w.ctx.db, plans[e.plan]!, plusHours(start, h), p);
              priceHistory[e.plan]!.push({ from: h, price: p });
            } else if (live.length) {
              const s = live[e.server % live.length]!;
              if (e.kind === 'delete') {
                // deleted during hour h: h is still charged, later hours are not
                await deleteServer(w.ctx.db, s.id, new Date(plusHours(start, h).getTime() + e.minute * 60_000));
                s.deleted = h;
              } else if (s.created < h && s.deleted === null) {
                const last = s.periods.at(-1)!;
                const next =
                  e.kind === 'resize'
                    ? { from: h, plan: e.plan, backups: last.backups }
                    : { from: h, plan: last.plan, backups: !last.backups };
                await setPeriod(w.ctx.db, s.id, plusHours(start, h), plans[next.plan]!, next.backups);
                if (last.from === h) s.periods.pop();
                s.periods.push(next);
              }
            }
          }
          pending.push(h);
          if (hours[h]!.ran || h === HOURS - 1) {
            // the job: every missed hour, oldest first
            for (const p of pending.splice(0)) await bill(p);
          }
        }
        // Each hour billed again: nothing more.
        for (let h = 0; h < HOURS; h++) {
          const again = await runHourlyBilling(w.ctx.deps, { hour: plusHours(start, h), trigger: 'schedule' });
          expect(again.instancesCharged).toBe(0);
        }

        // The model: chronological, per UTC month, capped.
        let total = 0n;
        for (const s of servers) {
          const expected: bigint[] = [];
          let usedInMonth = s.used;
          for (let h = s.created; h < HOURS && (s.deleted === null || h <= s.deleted); h++) {
            if (plusHours(start, h).getUTCDate() === 1 && plusHours(start, h).getUTCHours() === 0) usedInMonth = 0n;
            const period = [...s.periods].reverse().find((p) => p.from <= h)!;
            const p = priceAt(priceHistory[period.plan]!, h);
            const monthly = p.base + p.markup + (period.backups ? p.backups : 0n);
            const rate = hourlyRate(monthly);
            const left = monthly - usedInMonth;
            const amount = rate < left ? rate : left > 0n ? left : 0n;
            usedInMonth += amount;
            expected.push(amount);
          }
          const charged = (await chargesOf(w.ctx.db, s.id)).filter((c) => c.hour_start >= start);
          expect(charged.map((c) => c.amount)).toEqual(expected);
          total += expected.reduce((a, b) => a + b, 0n);
          if (s.deleted === null) await deleteServer(w.ctx.db, s.id, plusHours(start, HOURS));
        }
        expect(await walletBalance(w.ctx.db, org)).toBe(-total);
        expect(await engineProblems(w.ctx.db)).toEqual([]);
        expect(await checkLedgerInvariants(w.ctx.db)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});

function priceAt(history: Array<{ from: number; price: Price }>, h: number): Price {
  return [...history].reverse().find((p) => p.from <= h)!.price;
}
