import cronParser from 'cron-parser';
import Timekeeper from 'pg-boss/src/timekeeper.js';
import { describe, expect, it } from 'vitest';
import { firedWithin, parseCron } from '../../src/queue/cron.ts';
import { createBoss, schedules } from '../../src/queue/index.ts';

/** pg-boss 10's own answer (its timekeeper's shouldSendIt), with the clocks given. */
function pgBossAnswer(cron: string, localNow: number, databaseNow: number): boolean {
  const prev = cronParser.parseExpression(cron, { tz: 'UTC', currentDate: new Date(localNow) }).prev();
  return (databaseNow - prev.getTime()) / 1000 < 60;
}

/** A deterministic spread of moments over 2027 (and a leap day), no Math.random. */
function moments(count: number, seed: number): number[] {
  const from = Date.UTC(2027, 0, 1);
  const span = 366 * 24 * 3600_000;
  const out = [Date.UTC(2028, 1, 29, 0, 0, 0), Date.UTC(2027, 0, 1, 0, 15, 0, 1)];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    out.push(from + Math.floor((x / 2 ** 31) * span));
  }
  return out;
}

/** Moments around each fire time near `around`: on it, just after, the end of its minute, just before. */
function nearFireTimes(cron: string, around: number): number[] {
  const fire = cronParser
    .parseExpression(cron, { tz: 'UTC', currentDate: new Date(around) })
    .prev()
    .getTime();
  return [fire - 1, fire, fire + 1, fire + 30_000, fire + 59_999, fire + 60_000, fire + 60_001];
}

const EXTRA = ['0-10/3 1,5 * * 1-5', '0 0 13 * 5', '*/7 */5 1-15 */2 *', '5/15 * * * *', '0 12 * * 7', '30 23 31 12 *'];
const SKEWS = [0, 1_500, -30_000, 45_000, -90_000];

describe('pg-boss schedule check (src/queue/cron.ts)', () => {
  it.each([...Object.values(schedules), ...EXTRA])('answers as pg-boss does for %s', (cron) => {
    const parsed = parseCron(cron);
    expect(parsed).not.toBeNull();
    let agreed = 0;
    let fired = 0;
    for (const around of moments(6, cron.length * 7919))
      for (const local of nearFireTimes(cron, around))
        for (const skew of SKEWS) {
          const expected = pgBossAnswer(cron, local, local + skew);
          expect({
            cron,
            local: new Date(local).toISOString(),
            skew,
            fired: firedWithin(parsed!, local, local + skew),
          }).toEqual({ cron, local: new Date(local).toISOString(), skew, fired: expected });
          agreed++;
          if (expected) fired++;
        }
    // The samples include moments on both sides of the answer.
    expect(fired).toBeGreaterThan(0);
    expect(fired).toBeLessThan(agreed);
  });

  it('leaves what it does not understand to pg-boss', () => {
    for (const cron of [
      '0 0 * * MON',
      '0 0 L * *',
      '* * * * * *',
      '0 0 * * 1#2',
      '60 * * * *',
      '0 0 31-1 * *',
      '*/0 * * * *',
    ])
      expect(parseCron(cron), cron).toBeNull();
  });

  it('is what pg-boss calls once a scheduling pg-boss exists, and passes other time zones on', () => {
    createBoss('postgres://127.0.0.1:1/unused', { schedule: true, supervise: false });
    const proto = (
      Timekeeper as { prototype: { shouldSendIt: ((cron: string, tz: string) => boolean) & { fast?: true } } }
    ).prototype;
    expect(proto.shouldSendIt.fast).toBe(true);
    const timekeeper = { clockSkew: 0 };
    expect(proto.shouldSendIt.call(timekeeper, '* * * * *', 'UTC')).toBe(true);
    // Not UTC: pg-boss's own check (cron-parser) answers, every minute fires there too.
    expect(proto.shouldSendIt.call(timekeeper, '* * * * *', 'America/New_York')).toBe(true);
    // A minute that is not this one, in UTC and elsewhere.
    const other = (new Date().getUTCMinutes() + 30) % 60;
    expect(proto.shouldSendIt.call(timekeeper, `${other} * * * *`, 'UTC')).toBe(false);
    expect(proto.shouldSendIt.call(timekeeper, `${other} * * * *`, 'Europe/Paris')).toBe(false);
  });
});
