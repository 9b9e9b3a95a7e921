import net from 'node:net';

/**
 * Which IP addresses are public (src/lib/outbound-http.ts sends webhooks only to those, or to
 * loopback while an admin allows it): the IPv4 and IPv6 special-purpose ranges, and IPv6 forms
 * that carry an IPv4 address (mapped, NAT64, 6to4), read as the address they carry.
 * Imports nothing from src/ (src/lib rule).
 */

export type AddressClass = 'public' | 'loopback' | 'blocked';

/** IPv4 ranges that are never public (RFC 6890 special-purpose registry and friends). 127/8 is loopback, handled apart. */
const V4_BLOCKED: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['169.254.0.0', 16], // link-local, incl. cloud metadata 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast 255.255.255.255
];

function v4ToInt(s: string): number {
  return s.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

const V4_BLOCKED_INT = V4_BLOCKED.map(([base, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { net: (v4ToInt(base) & mask) >>> 0, mask };
});

function classifyV4(n: number): AddressClass {
  if (n >>> 24 === 127) return 'loopback';
  return V4_BLOCKED_INT.some((r) => (n & r.mask) >>> 0 === r.net) ? 'blocked' : 'public';
}

/** Eight 16-bit groups, or null when `s` is not an IPv6 address (zone ids like `%eth0` included). */
function parseV6(s: string): number[] | null {
  if (s.includes('%') || !net.isIPv6(s)) return null;
  let text = s;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4ToInt(dotted[2]!);
    tail.push(n >>> 16, n & 0xffff);
    text = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = text.indexOf('::');
  if (gap === -1) {
    const all = [...groups(text), ...tail];
    return all.length === 8 ? all : null;
  }
  const a = groups(text.slice(0, gap));
  const b = groups(text.slice(gap + 2));
  const fill = 8 - a.length - b.length - tail.length;
  return fill < 0 ? null : [...a, ...Array<number>(fill).fill(0), ...b, ...tail];
}

function classifyV6(g: number[]): AddressClass {
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const v4 = (hi: number, lo: number) => ((hi << 16) | lo) >>> 0;
  if (zeros(0, 7) && g[7] === 1) return 'loopback'; // ::1
  if (zeros(0, 5) && g[5] === 0xffff) return classifyV4(v4(g[6]!, g[7]!)); // IPv4-mapped ::ffff:a.b.c.d
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address: public only if that one is.
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6))
    return classifyV4(v4(g[6]!, g[7]!)) === 'public' ? 'public' : 'blocked';
  if (g[0] === 0x2002) return classifyV4(v4(g[1]!, g[2]!)) === 'public' ? 'public' : 'blocked';
  // Outside global unicast 2000::/3: unspecified, IPv4-compatible, ULA fc00::/7, link-local fe80::/10, multicast ff00::/8…
  if ((g[0]! & 0xe000) !== 0x2000) return 'blocked';
  if (g[0] === 0x2001 && g[1]! < 0x0200) return 'blocked'; // 2001::/23 IETF protocol assignments (Teredo, benchmarking, ORCHID)
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'blocked'; // documentation
  if (g[0] === 0x3fff && g[1]! < 0x1000) return 'blocked'; // documentation 3fff::/20
  return 'public';
}

/** Whether an address is public, loopback or anything else we refuse (private, link-local, reserved, multicast…). */
export function classifyAddress(address: string): AddressClass {
  if (net.isIPv4(address)) return classifyV4(v4ToInt(address));
  const g = parseV6(address);
  return g ? classifyV6(g) : 'blocked';
}
