import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hourlyRate, HOURS_PER_MONTH } from '../../src/domain/metering/rates.ts';

describe('hourly rates', () => {
  it('charges 730 hours that add up to the monthly price within half a micro-unit per hour', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), (monthly) => {
        const total = hourlyRate(monthly) * HOURS_PER_MONTH;
        const diff = total > monthly ? total - monthly : monthly - total;
        return 2n * diff <= HOURS_PER_MONTH;
      }),
    );
    expect(hourlyRate(10_000_000n)).toBe(13_699n); // $10.00/month → $0.013699/hour
  });
});
