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
});
