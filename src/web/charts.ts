/**
 * Bar charts drawn on the server as SVG geometry (views/shared/_bar-chart.eta renders it): no
 * charting script, nothing for the CSP to allow. Values are plain numbers for geometry only
 * (money arrives as micro-units and is formatted by the caller's `format`, never rounded here).
 */

export interface BarSeries {
  name: string;
  /** Tailwind fill class of its bars and legend swatch, e.g. `fill-sky-500`. */
  fill: string;
  values: number[];
}

export interface BarChart {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  bars: Array<{ x: number; y: number; width: number; height: number; fill: string; label: string }>;
  yTicks: Array<{ y: number; label: string }>;
  xTicks: Array<{ x: number; label: string }>;
  series: Array<{ name: string; fill: string }>;
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `max` (an axis top people can read); no 2.5 for counts. */
export function niceCeiling(max: number, integer = false): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  const steps = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  const step = steps.find((s) => s * power >= max)!;
  return step * power;
}

/**
 * Grouped bars, one group per label (a day), one bar per series, with three horizontal ticks
 * (0, half, top) and about `xTickEvery`-th label under the axis.
 */
export function barChart(opts: {
  labels: string[];
  series: BarSeries[];
  format: (value: number) => string;
  xLabel?: (label: string) => string;
  xTickEvery?: number;
  /** The axis top when every value is smaller (an empty chart still reads "$0 … $1"). */
  minTop?: number;
  /** Whole counts: the middle tick only where it is a whole number. */
  integer?: boolean;
  width?: number;
  height?: number;
}): BarChart {
  const width = opts.width ?? 800;
  const height = opts.height ?? 220;
  const plot = { left: 72, top: 10, right: width - 8, bottom: height - 26 };
  const top = niceCeiling(Math.max(opts.minTop ?? 0, ...opts.series.flatMap((s) => s.values)), opts.integer);
  const groupWidth = (plot.right - plot.left) / Math.max(1, opts.labels.length);
  const barWidth = Math.max(1, (groupWidth * 0.8) / Math.max(1, opts.series.length));
  const scale = (v: number) => ((plot.bottom - plot.top) * Math.max(0, v)) / top;
  const round = (n: number) => Math.round(n * 10) / 10;
  const bars = opts.labels.flatMap((label, i) =>
    opts.series.map((s, j) => {
      const h = scale(s.values[i] ?? 0);
      return {
        x: round(plot.left + i * groupWidth + groupWidth * 0.1 + j * barWidth),
        y: round(plot.bottom - h),
        width: round(barWidth),
        height: round(h),
        fill: s.fill,
        label: `${label}: ${s.name} ${opts.format(s.values[i] ?? 0)}`,
      };
    }),
  );
  const every = opts.xTickEvery ?? 7;
  const xTicks = opts.labels
    .map((label, i) => ({ i, label }))
    .filter(({ i }) => (opts.labels.length - 1 - i) % every === 0)
    .map(({ i, label }) => ({ x: round(plot.left + (i + 0.5) * groupWidth), label: opts.xLabel?.(label) ?? label }));
  const yTicks = [0, top / 2, top]
    .filter((v) => !opts.integer || Number.isInteger(v))
    .map((v) => ({ y: round(plot.bottom - scale(v)), label: opts.format(v) }));
  return { width, height, plot, bars, yTicks, xTicks, series: opts.series.map(({ name, fill }) => ({ name, fill })) };
}
