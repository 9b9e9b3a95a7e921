/**
 * Money is integer micro-units (1 unit of currency = 1,000,000) held in bigint.
 * The one rounding rule: divisions round half up to the micro-unit (see `divRound`).
 * Nothing else rounds. Formatting for people happens only in views, through `formatMoney`.
 */
export const MICROS = 1_000_000n;

const DECIMAL = /^(-)?(\d{1,12})(?:\.(\d{1,6}))?$/;

/** Parses a decimal string exactly ("12.34" → 12_340_000n); null when it is not one. */
export function parseMoney(input: string, maxFractionDigits = 6): bigint | null {
  const m = DECIMAL.exec(input.trim());
  if (!m) return null;
  const frac = m[3] ?? '';
  if (frac.length > maxFractionDigits) return null;
  const micros = BigInt(m[2]!) * MICROS + BigInt(frac.padEnd(6, '0'));
  return m[1] ? -micros : micros;
}

/** Divides rounding half up (away from zero for halves), e.g. a monthly price by 730 hours. */
export function divRound(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive');
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const q = (abs * 2n + d) / (2n * d);
  return neg ? -q : q;
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/** Decimal string with exactly `digits` fraction digits, for the API and for views. */
export function toDecimal(micros: bigint, digits = 2): string {
  // Amounts a double holds exactly (under ±9,007,199,254 units) are worked out in integer
  // arithmetic on numbers: the same digits with no bigint made per step. A page of 50 servers
  // prints a few hundred amounts, and the bigint steps were a tenth of its CPU.
  if (micros <= MAX_EXACT && micros >= -MAX_EXACT && Number.isInteger(digits) && digits >= 0 && digits <= 6) {
    const n = Number(micros);
    const abs = n < 0 ? -n : n;
    const d = POW10[6 - digits]!;
    const rest = abs % d;
    // Half up, as divRound: q + 1 when the remainder is at least half the divisor.
    const scaled = (abs - rest) / d + (rest * 2 >= d ? 1 : 0);
    const unit = POW10[digits]!;
    const frac = scaled % unit;
    const whole = (scaled - frac) / unit;
    return `${n < 0 && scaled !== 0 ? '-' : ''}${whole}${digits ? '.' + String(frac).padStart(digits, '0') : ''}`;
  }
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  const scaled = digits === 6 ? abs : divRound(abs, 10n ** BigInt(6 - digits));
  const unit = 10n ** BigInt(digits);
  const whole = scaled / unit;
  const frac = (scaled % unit).toString().padStart(digits, '0');
  return `${neg && scaled !== 0n ? '-' : ''}${whole}${digits ? '.' + frac : ''}`;
}

/** "$1,234.56" style, for people. */
export function formatMoney(micros: bigint, currency = 'USD', digits = 2): string {
  const decimal = toDecimal(micros, digits);
  const neg = decimal.startsWith('-');
  const dot = decimal.indexOf('.');
  const whole = decimal.slice(neg ? 1 : 0, dot < 0 ? decimal.length : dot);
  const symbol = currency === 'USD' ? '$' : currency === 'EUR' ? '€' : currency === 'GBP' ? '£' : currency + ' ';
  return `${neg ? '-' : ''}${symbol}${groupThousands(whole)}${dot < 0 ? '' : decimal.slice(dot)}`;
}

/** "1234567" → "1,234,567". */
function groupThousands(digits: string): string {
  if (digits.length <= 3) return digits;
  const head = digits.length % 3 || 3;
  let out = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += ',' + digits.slice(i, i + 3);
  return out;
}
