import { describe, expect, it } from 'vitest';
import { bitsPerSecond, GRAPH, serverGraphs } from '../../src/web/pages/portal/servers/charts.ts';
import { gigabytes, memory } from '../../src/web/pages/portal/servers/present.ts';
import { shownRdns } from '../../src/web/reverse-dns.ts';

describe('the server graphs', () => {
  it('say "no data yet" for each graph when the provider has none', () => {
    const graphs = serverGraphs(null);
    expect(graphs.map((g) => [g.id, g.title, g.empty])).toEqual([
      ['graph-cpu', 'CPU', true],
      ['graph-network', 'Network', true],
      ['graph-disk', 'Disk I/O', true],
    ]);
    expect(graphs.every((g) => g.description === 'No data yet.' && g.lines.length === 0)).toBe(true);
  });

  it('draw each series across the width, scaled from 0 to the peak (CPU to at least 100%), with a description', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const hour = 3_600_000;
    const [cpu, network] = serverGraphs({
      cpuPercent: [
        [t0, 0],
        [t0 + hour, 50],
        [t0 + 2 * hour, 25],
      ],
      networkIn: [
        [t0, 1_000],
        [t0 + 2 * hour, 2_000_000],
      ],
      networkOut: [
        [t0, 0],
        [t0 + 2 * hour, 1_000_000],
      ],
      diskIo: [],
    });
    // x from 0 to 600; y from the bottom (124) up to the top (14) at 100%.
    expect(cpu!.lines[0]!.points).toBe(`0,${GRAPH.bottom} 300,69 600,96.5`);
    expect(cpu!.max).toBe('100.0%');
    expect(cpu!.description).toBe('Last 24 hours. Peak 50.0%; CPU now 25.0%.');
    expect(network!.lines.map((l) => l.name)).toEqual(['In', 'Out']);
    expect(network!.lines[0]!.points.split(' ').at(-1)).toBe(`600,${GRAPH.top}`);
    expect(network!.max).toBe('2.0 Mb/s');
  });

  it('formats rates, sizes and memory for people', () => {
    expect([bitsPerSecond(512), bitsPerSecond(1_500), bitsPerSecond(2_500_000), bitsPerSecond(3e9)]).toEqual([
      '512 b/s',
      '1.5 kb/s',
      '2.5 Mb/s',
      '3.0 Gb/s',
    ]);
    expect([memory(512), memory(1024), memory(1536), memory(4096)]).toEqual(['512 MB', '1 GB', '1.5 GB', '4 GB']);
    expect(gigabytes(1_234_567_890n)).toBe('1.23 GB');
    expect(gigabytes(0n)).toBe('0.00 GB');
  });
});

describe('reverse DNS as customers read it', () => {
  it('hides the provider’s default name and shows names the customer or the platform set', () => {
    expect(shownRdns('203.0.113.10', '203-0-113-10.ip.provider.example', null)).toBeNull();
    expect(shownRdns('203.0.113.10', '203-0-113-10.vps.example.net', 'vps.example.net')).toBe(
      '203-0-113-10.vps.example.net',
    );
    expect(shownRdns('203.0.113.10', 'mail.example.com', null)).toBe('mail.example.com');
    expect(shownRdns('203.0.113.10', null, null)).toBeNull();
  });
});
