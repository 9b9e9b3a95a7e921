import type { CloudStats } from '../../../../providers/cloud.ts';

/**
 * The server page's graphs (CPU, network, disk over the last day) as geometry for inline SVG,
 * drawn by views/portal/servers/_graphs.eta: no chart library, no script, no inline styles
 * (colours are classes, sizes SVG attributes). Units are the SVG's viewBox.
 */
export const GRAPH = { width: 600, height: 140, top: 14, bottom: 124 } as const;

export interface GraphLine {
  name: string;
  /** "x,y x,y …" for <polyline points>. */
  points: string;
  /** Tailwind stroke classes. */
  stroke: string;
}

export interface Graph {
  id: string;
  title: string;
  /** What the graph shows, for screen readers (<desc>): the peak and the latest value. */
  description: string;
  /** The top of the scale, formatted. */
  max: string;
  lines: GraphLine[];
  empty: boolean;
}

const STROKES = ['stroke-sky-600 dark:stroke-sky-400', 'stroke-amber-600 dark:stroke-amber-400'];

/** Bits per second as people read them (kb/s, Mb/s, Gb/s). */
export function bitsPerSecond(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)} Gb/s`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} Mb/s`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} kb/s`;
  return `${Math.round(v)} b/s`;
}

const percent = (v: number) => `${v.toFixed(1)}%`;
const blocks = (v: number) => `${v.toFixed(1)} blocks/s`;

/** One graph of one or more series sharing a time axis and a scale starting at 0. */
function graph(
  id: string,
  title: string,
  series: Array<{ name: string; points: Array<[number, number]> }>,
  format: (v: number) => string,
  floorMax = 0,
): Graph {
  const all = series.flatMap((s) => s.points);
  if (all.length < 2) return { id, title, description: 'No data yet.', max: format(floorMax), lines: [], empty: true };
  const t0 = Math.min(...all.map((p) => p[0]));
  const t1 = Math.max(...all.map((p) => p[0]));
  const peak = Math.max(...all.map((p) => p[1]));
  const max = Math.max(peak, floorMax) || 1;
  const span = t1 - t0 || 1;
  const plot = GRAPH.bottom - GRAPH.top;
  const lines = series.map((s, i) => ({
    name: s.name,
    stroke: STROKES[i % STROKES.length]!,
    points: s.points
      .map(
        ([t, v]) => `${round(((t - t0) / span) * GRAPH.width)},${round(GRAPH.bottom - (Math.max(v, 0) / max) * plot)}`,
      )
      .join(' '),
  }));
  const latest = series.map((s) => `${s.name} now ${format(s.points.at(-1)?.[1] ?? 0)}`).join(', ');
  return {
    id,
    title,
    description: `Last 24 hours. Peak ${format(peak)}; ${latest}.`,
    max: format(max),
    lines,
    empty: false,
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The three graphs of a server's stats; each says "no data yet" when the provider has none. */
export function serverGraphs(stats: CloudStats | null): Graph[] {
  const s = stats ?? { cpuPercent: [], networkIn: [], networkOut: [], diskIo: [] };
  return [
    graph('graph-cpu', 'CPU', [{ name: 'CPU', points: s.cpuPercent }], percent, 100),
    graph(
      'graph-network',
      'Network',
      [
        { name: 'In', points: s.networkIn },
        { name: 'Out', points: s.networkOut },
      ],
      bitsPerSecond,
    ),
    graph('graph-disk', 'Disk I/O', [{ name: 'Disk', points: s.diskIo }], blocks),
  ];
}
