import { lineDigits } from '../../../../domain/invoices/lines.ts';
import { formatMoney } from '../../../../lib/money.ts';

/**
 * The geometry of the 30-day spend chart, drawn by views/portal/billing/_chart.eta as inline
 * SVG (server-side, no script; colours come from classes, sizes from SVG attributes, so the
 * CSP needs no inline styles). Units are the SVG's viewBox.
 */
export const CHART = { width: 600, height: 160, plotTop: 16, plotBottom: 136, slot: 20, bar: 14 } as const;

export interface SpendBar {
  x: number;
  y: number;
  height: number;
  day: string;
  /** "2 Mar: $1.20", for the bar's tooltip and the table beside it. */
  label: string;
  amount: string;
}

export interface SpendChart {
  bars: SpendBar[];
  /** The tallest bar's amount (the top of the scale), formatted. */
  max: string;
  total: string;
  /** Day labels under the first, middle and last bars. */
  ticks: Array<{ x: number; text: string }>;
  empty: boolean;
}

const SHORT_DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
// "2 Mar" for "2026-03-02": formatting dates showed in profiles, and every view of the chart names the same 30 days.
const shortDays = new Map<string, string>();
function shortDay(day: string): string {
  let text = shortDays.get(day);
  if (text === undefined) {
    if (shortDays.size >= 1_000) shortDays.clear();
    shortDays.set(day, (text = SHORT_DAY.format(new Date(`${day}T00:00:00Z`))));
  }
  return text;
}

/** Bars for one amount per day (oldest first). A day whose refunds outweigh its charges draws no bar. */
export function spendChart(series: Array<{ day: string; amount: bigint }>, currency: string): SpendChart {
  const max = series.reduce((m, d) => (d.amount > m ? d.amount : m), 0n);
  const total = series.reduce((sum, d) => sum + d.amount, 0n);
  const plot = CHART.plotBottom - CHART.plotTop;
  const bars = series.map((d, i) => {
    // The ratio is taken in bigint (per mille): money never becomes a float, only the pixel height does.
    const height = max > 0n && d.amount > 0n ? Math.max(1, Number((d.amount * BigInt(plot) * 1000n) / max) / 1000) : 0;
    const amount = formatMoney(d.amount, currency);
    return {
      x: i * CHART.slot + (CHART.slot - CHART.bar) / 2,
      y: CHART.plotBottom - height,
      height,
      day: d.day,
      label: `${shortDay(d.day)}: ${amount}`,
      amount,
    };
  });
  const tickAt = (i: number) => ({ x: i * CHART.slot + CHART.slot / 2, text: shortDay(series[i]!.day) });
  const ticks = series.length ? [tickAt(0), tickAt(Math.floor(series.length / 2)), tickAt(series.length - 1)] : [];
  return { bars, max: formatMoney(max, currency), total: formatMoney(total, currency), ticks, empty: max === 0n };
}

/** A ledger line's amount for people: 4 decimals when it is not whole cents (hourly charges), as on invoices. */
export const lineMoney = (m: bigint, currency: string) => formatMoney(m, currency, lineDigits(m));
