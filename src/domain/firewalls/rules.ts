import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import type { FirewallRule, FirewallRules } from '../../providers/cloud.ts';

/**
 * A firewall's rules as customers write them and as we store them (`firewalls.rules`): two
 * lists, inbound and outbound, each with a policy for traffic no rule matches. A rule accepts or
 * drops one protocol (TCP, UDP or ICMP) on some ports (none for ICMP; none for TCP/UDP means
 * every port) from or to some addresses (IPv4 or IPv6, optionally a CIDR range; `0.0.0.0/0`
 * and `::/0` are everyone). At most MAX_RULES rules in all, as the provider allows.
 */

export const MAX_RULES = 25;
export const PROTOCOLS = ['TCP', 'UDP', 'ICMP'] as const;
export const ACTIONS = ['ACCEPT', 'DROP'] as const;
const MAX_PORT_PIECES = 15;
const MAX_ADDRESSES = 100;

export interface Rule {
  action: (typeof ACTIONS)[number];
  protocol: (typeof PROTOCOLS)[number];
  /** "22", "80,443", "8000-9000"; null: every port (TCP/UDP), or ICMP. */
  ports: string | null;
  addresses: string[];
  label: string | null;
}
export interface Rules {
  inboundPolicy: (typeof ACTIONS)[number];
  outboundPolicy: (typeof ACTIONS)[number];
  inbound: Rule[];
  outbound: Rule[];
}

/** A new firewall's rules: SSH from anywhere, everything else inbound dropped, all outbound allowed. */
export const DEFAULT_RULES: Rules = {
  inboundPolicy: 'DROP',
  outboundPolicy: 'ACCEPT',
  inbound: [{ action: 'ACCEPT', protocol: 'TCP', ports: '22', addresses: ['0.0.0.0/0', '::/0'], label: 'ssh' }],
  outbound: [],
};

/** The problem with a ports string, or null. */
export function portsProblem(ports: string): string | null {
  const pieces = ports.split(',').map((p) => p.trim());
  if (pieces.length > MAX_PORT_PIECES) return `Use at most ${MAX_PORT_PIECES} ports or ranges in one rule.`;
  for (const piece of pieces) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(piece);
    if (!m) return 'Write ports as 22, 80,443 or 8000-9000.';
    const low = Number(m[1]);
    const high = m[2] === undefined ? low : Number(m[2]);
    if (low < 1 || high > 65535) return 'Ports go from 1 to 65535.';
    if (low >= high && m[2] !== undefined) return `In ${piece}, the first port must be lower than the second.`;
  }
  return null;
}

/** The problem with an address (IPv4 or IPv6, optional /prefix), or null. */
export function addressProblem(address: string): string | null {
  const [ip, prefix, ...rest] = address.split('/');
  const v4 = isIPv4(ip!);
  if (rest.length || (!v4 && !isIPv6(ip!))) return `${address.slice(0, 60)} is not an IPv4 or IPv6 address or range.`;
  if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (v4 ? 32 : 128)))
    return `${address.slice(0, 60)} has a range size that is not valid for IPv${v4 ? 4 : 6}.`;
  return null;
}

const ruleInput = z
  .object({
    action: z.enum(ACTIONS, { error: 'Choose accept or drop.' }).default('ACCEPT'),
    protocol: z.enum(PROTOCOLS, { error: 'Choose TCP, UDP or ICMP.' }),
    ports: z
      .string({ error: 'Write ports as text, e.g. "80,443".' })
      .trim()
      .max(200, 'Too many ports.')
      .nullish()
      .transform((p) => p?.replace(/\s+/g, '') || null),
    addresses: z
      .array(z.string().trim().max(64, 'An address is at most 64 characters.'), {
        error: 'List the addresses, e.g. ["0.0.0.0/0", "::/0"].',
      })
      .max(MAX_ADDRESSES, `Use at most ${MAX_ADDRESSES} addresses in one rule.`)
      .transform((list) => [...new Set(list.filter(Boolean))]),
    label: z
      .string()
      .trim()
      .max(32, 'A rule label is at most 32 characters.')
      .nullish()
      .transform((l) => l || null),
  })
  .superRefine((rule, ctx) => {
    if (rule.ports && rule.protocol === 'ICMP')
      ctx.addIssue({ code: 'custom', path: ['ports'], message: 'ICMP has no ports: leave them empty.' });
    const ports = rule.ports ? portsProblem(rule.ports) : null;
    if (ports && rule.protocol !== 'ICMP') ctx.addIssue({ code: 'custom', path: ['ports'], message: ports });
    if (!rule.addresses.length)
      ctx.addIssue({
        code: 'custom',
        path: ['addresses'],
        message: 'Name at least one address; 0.0.0.0/0 and ::/0 mean everyone.',
      });
    const bad = rule.addresses.map(addressProblem).find(Boolean);
    if (bad) ctx.addIssue({ code: 'custom', path: ['addresses'], message: bad });
    if (rule.label && rule.label.length < 3)
      ctx.addIssue({ code: 'custom', path: ['label'], message: 'A rule label is 3 to 32 characters, or none.' });
    // The provider's rule for labels; other characters would be refused there.
    else if (rule.label && !/^[A-Za-z0-9_.-]+$/.test(rule.label))
      ctx.addIssue({
        code: 'custom',
        path: ['label'],
        message: 'A rule label uses letters, digits, dashes, dots and underscores only.',
      });
  });

const policy = (side: string) => z.enum(ACTIONS, { error: `Choose what happens to other ${side} traffic.` });

/** The rules as the API and the forms send them (snake_case), checked and tidied. */
export const rulesInput = z
  .object({
    inbound_policy: policy('inbound'),
    outbound_policy: policy('outbound'),
    inbound: z.array(ruleInput, { error: 'Send inbound rules as a list.' }).default([]),
    outbound: z.array(ruleInput, { error: 'Send outbound rules as a list.' }).default([]),
  })
  .superRefine((r, ctx) => {
    if (r.inbound.length + r.outbound.length > MAX_RULES)
      ctx.addIssue({ code: 'custom', path: [], message: `A firewall has at most ${MAX_RULES} rules in all.` });
  })
  .transform((r): Rules => ({
    inboundPolicy: r.inbound_policy,
    outboundPolicy: r.outbound_policy,
    inbound: r.inbound,
    outbound: r.outbound,
  }));

/** The rules in the provider contract's shape (addresses split by family). */
export function toCloudRules(rules: Rules): FirewallRules {
  const rule = (r: Rule): FirewallRule => ({
    action: r.action,
    protocol: r.protocol,
    ports: r.protocol === 'ICMP' ? null : r.ports,
    ipv4: r.addresses.filter((a) => isIPv4(a.split('/')[0]!)),
    ipv6: r.addresses.filter((a) => !isIPv4(a.split('/')[0]!)),
    label: r.label,
  });
  return {
    inboundPolicy: rules.inboundPolicy,
    outboundPolicy: rules.outboundPolicy,
    inbound: rules.inbound.map(rule),
    outbound: rules.outbound.map(rule),
  };
}

/** The rules as stored (jsonb), read back. */
export function storedRules(json: unknown): Rules {
  const r = json as Partial<Rules> | null;
  return {
    inboundPolicy: r?.inboundPolicy ?? 'ACCEPT',
    outboundPolicy: r?.outboundPolicy ?? 'ACCEPT',
    inbound: r?.inbound ?? [],
    outbound: r?.outbound ?? [],
  };
}
