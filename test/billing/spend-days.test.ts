import { describe, expect, it } from 'vitest';
import { spendDays } from '../../src/domain/wallets/spend.ts';

// The billing chart's days (src/domain/wallets/spend.ts): the viewer's last N days, kept per
// time zone and day, and the latest per zone reused while "now" is still within today.
describe('spendDays', () => {
  const at = (iso: string) => new Date(iso);
  const last = (iso: string, zone: string, days = 3) => {
    const d = spendDays(at(iso), zone, days);
    return { names: d.names, from: d.from.toISOString(), until: d.until.toISOString() };
  };

  it('moves to the next day at the viewer’s midnight, daylight saving included, and back again', () => {
    // New York, 2026-03-08: clocks go from 02:00 EST to 03:00 EDT.
    const ny = 'America/New_York';
    expect(last('2026-03-08T04:59:59.999Z', ny)).toEqual({
      names: ['2026-03-05', '2026-03-06', '2026-03-07'],
      from: '2026-03-05T05:00:00.000Z',
      until: '2026-03-08T05:00:00.000Z',
    });
    // Midnight on the 8th, EST; that day lasts 23 hours and ends at midnight EDT (04:00 UTC).
    expect(last('2026-03-08T05:00:00.000Z', ny)).toEqual({
      names: ['2026-03-06', '2026-03-07', '2026-03-08'],
      from: '2026-03-06T05:00:00.000Z',
      until: '2026-03-09T04:00:00.000Z',
    });
    expect(last('2026-03-09T03:59:59.999Z', ny).names.at(-1)).toBe('2026-03-08');
    expect(last('2026-03-09T04:00:00.000Z', ny).names.at(-1)).toBe('2026-03-09');
    // A clock set back (as tests do) is answered for its own day, not the latest kept.
    expect(last('2026-03-07T12:00:00.000Z', ny).names).toEqual(['2026-03-05', '2026-03-06', '2026-03-07']);
    expect(last('2026-03-09T12:00:00.000Z', ny).names.at(-1)).toBe('2026-03-09');
  });

  it('keeps each zone and each number of days apart', () => {
    const now = '2026-06-30T23:30:00.000Z';
    expect(last(now, 'UTC').names.at(-1)).toBe('2026-06-30');
    expect(last(now, 'Asia/Tokyo').names.at(-1)).toBe('2026-07-01');
    expect(last(now, 'UTC', 2).names).toEqual(['2026-06-29', '2026-06-30']);
    expect(last(now, 'UTC').names).toEqual(['2026-06-28', '2026-06-29', '2026-06-30']);
    expect(spendDays(at(now), 'UTC', 3)).toBe(spendDays(at('2026-06-30T00:00:00.000Z'), 'UTC', 3));
  });
});
