import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divRound, formatMoney, parseMoney, toDecimal } from '../../src/lib/money.ts';

const micros = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n });

describe('money arithmetic', () => {
  it('parses decimal strings exactly and refuses everything else', () => {
    expect(parseMoney('25.00')).toBe(25_000_000n);
    expect(parseMoney('0.014300')).toBe(14_300n);
    expect(parseMoney('-1.5')).toBe(-1_500_000n);
    for (const bad of ['1e2', 'NaN', '10,00', '', ' ', '1.2.3', '0.0000001', 'Infinity', '0x10', '+5', '１'])
      expect(parseMoney(bad)).toBeNull();
    expect(parseMoney('0.001', 2)).toBeNull();
  });

  it('round-trips every amount through its 6-digit decimal string', () => {
    fc.assert(fc.property(micros, (m) => parseMoney(toDecimal(m, 6)) === m));
  });

  it('rounds halves away from zero and nothing else when dividing', () => {
    expect(divRound(5n, 2n)).toBe(3n);
    expect(divRound(-5n, 2n)).toBe(-3n);
    expect(divRound(4n, 3n)).toBe(1n);
    fc.assert(
      fc.property(micros, fc.bigInt({ min: 1n, max: 10n ** 6n }), (n, d) => {
        const q = divRound(n, d);
        const abs = (x: bigint) => (x < 0n ? -x : x);
        // |n - q·d| ≤ d/2: the quotient is the nearest integer.
        return 2n * abs(n - q * d) <= d;
      }),
    );
  });

  it('formats for people with two decimals, grouping and the sign in front', () => {
    expect(formatMoney(1_234_565_000n)).toBe('$1,234.57');
    expect(formatMoney(-1_500_000n)).toBe('-$1.50');
    expect(formatMoney(4_999n)).toBe('$0.00');
    expect(formatMoney(14_300n, 'USD', 4)).toBe('$0.0143');
  });

  it('prints every amount as bigint arithmetic does, on both sides of what a double holds exactly', () => {
    // The reference: the decimal worked out in bigint only, grouped by a regular expression.
    const reference = (m: bigint, digits: number, currency: string) => {
      const neg = m < 0n;
      const scaled = digits === 6 ? (neg ? -m : m) : divRound(neg ? -m : m, 10n ** BigInt(6 - digits));
      const unit = 10n ** BigInt(digits);
      const whole = (scaled / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      const frac = digits ? '.' + (scaled % unit).toString().padStart(digits, '0') : '';
      const symbol = currency === 'USD' ? '$' : currency === 'EUR' ? '€' : currency === 'GBP' ? '£' : currency + ' ';
      return `${neg && scaled !== 0n ? '-' : ''}${symbol}${whole}${frac}`;
    };
    const edge = BigInt(Number.MAX_SAFE_INTEGER);
    const amounts = fc.oneof(
      micros,
      fc.bigInt({ min: edge - 2_000_000n, max: edge + 2_000_000n }),
      fc.bigInt({ min: -edge - 2_000_000n, max: -edge + 2_000_000n }),
      fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
      fc.constantFrom(0n, 1n, -1n, 499n, 500n, -500n, 4_999n, 5_000n, -5_000n, 49n, 50n, -50n),
    );
    fc.assert(
      fc.property(amounts, fc.integer({ min: 0, max: 6 }), fc.constantFrom('USD', 'EUR', 'GBP', 'CHF'), (m, d, cur) => {
        expect(formatMoney(m, cur, d)).toBe(reference(m, d, cur));
        expect(toDecimal(m, d)).toBe(reference(m, d, 'XX').replace('XX ', '').replaceAll(',', ''));
      }),
      { numRuns: 5_000 },
    );
  });
});
