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

/** Decimal string with exactly `digits` fraction digits, for the API and for views. */
export function toDecimal(micros: bigint, digits = 2): string {
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
  const [whole, frac] = toDecimal(micros, digits).split('.');
  const sign = whole!.startsWith('-') ? '-' : '';
  const grouped = whole!.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const symbol = currency === 'USD' ? '$' : currency === 'EUR' ? '€' : currency === 'GBP' ? '£' : currency + ' ';
  return `${sign}${symbol}${grouped}${frac ? '.' + frac : ''}`;
}
