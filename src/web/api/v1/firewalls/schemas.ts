import { z } from '@hono/zod-openapi';
import type { Firewall as FirewallView } from '../../../../domain/firewalls/firewalls.ts';
import type { Rule as RuleView } from '../../../../domain/firewalls/rules.ts';
import { ACTIONS, MAX_RULES, PROTOCOLS } from '../../../../domain/firewalls/rules.ts';
import { pathParam, Timestamp } from '../schemas.ts';

const Action = z.enum(ACTIONS);

export const FirewallRule = z
  .object({
    action: Action.openapi({ description: 'What happens to matching traffic.' }),
    protocol: z.enum(PROTOCOLS),
    ports: z.string().nullable().openapi({
      example: '80,443',
      description: '"22", "80,443", "8000-9000" (1–65535, at most 15 pieces); null: every port. Always null for ICMP.',
    }),
    addresses: z.array(z.string()).openapi({
      example: ['0.0.0.0/0', '::/0'],
      description: 'IPv4 or IPv6 addresses, optionally CIDR ranges; at least one. `0.0.0.0/0` and `::/0` are everyone.',
    }),
    label: z.string().nullable().openapi({ example: 'https', description: '3–32 characters, or null.' }),
  })
  .openapi('FirewallRule');

export const FirewallRules = z
  .object({
    inbound_policy: Action.openapi({ description: 'What happens to inbound traffic no rule matches.' }),
    outbound_policy: Action.openapi({ description: 'What happens to outbound traffic no rule matches.' }),
    inbound: z.array(FirewallRule),
    outbound: z.array(FirewallRule),
  })
  .openapi('FirewallRules', { description: `At most ${MAX_RULES} rules in all.` });

export const Firewall = z
  .object({
    id: z.uuid(),
    label: z.string(),
    rules: FirewallRules,
    servers: z
      .array(z.object({ id: z.uuid(), label: z.string() }))
      .openapi({ description: 'The servers it guards (a server has at most one firewall).' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Firewall');

/** Request bodies: shapes for the document; the domain checks every value and names each bad field. */
const RuleBody = z.object({
  action: z
    .string()
    .optional()
    .openapi({ enum: [...ACTIONS], description: 'Default ACCEPT.' }),
  protocol: z.string().openapi({ enum: [...PROTOCOLS] }),
  ports: z.string().nullable().optional(),
  addresses: z.array(z.string()),
  label: z.string().nullable().optional(),
});
const RulesBody = z
  .object({
    inbound_policy: z.string().openapi({ enum: [...ACTIONS] }),
    outbound_policy: z.string().openapi({ enum: [...ACTIONS] }),
    inbound: z.array(RuleBody).optional(),
    outbound: z.array(RuleBody).optional(),
  })
  .openapi('FirewallRulesInput');

export const CreateFirewallRequest = z
  .object({
    label: z.string().openapi({ example: 'web', description: '3–32 characters, unique in the organization.' }),
    rules: RulesBody,
    server_ids: z
      .array(z.string())
      .optional()
      .openapi({ description: 'Servers of the organization to attach it to at once (same rules as attaching).' }),
  })
  .openapi('CreateFirewallRequest');

export const UpdateFirewallRequest = z
  .object({
    label: z.string().optional(),
    rules: RulesBody.optional().openapi({ description: 'Replaces every rule and both policies.' }),
  })
  .openapi('UpdateFirewallRequest');

export const AttachServerRequest = z
  .object({ server_id: z.string().openapi({ format: 'uuid', description: 'One of the organization’s servers.' }) })
  .openapi('AttachFirewallServerRequest');

export const FirewallParams = z.object({ id: pathParam('id', 'Firewall id.') });
export const FirewallServerParams = z.object({
  id: pathParam('id', 'Firewall id.'),
  server_id: pathParam('server_id', 'Server id.'),
});

const rule = (r: RuleView) => ({
  action: r.action,
  protocol: r.protocol,
  ports: r.ports,
  addresses: r.addresses,
  label: r.label,
});

export function presentFirewall(f: FirewallView): z.infer<typeof Firewall> {
  return Firewall.parse({
    id: f.id,
    label: f.label,
    rules: {
      inbound_policy: f.rules.inboundPolicy,
      outbound_policy: f.rules.outboundPolicy,
      inbound: f.rules.inbound.map(rule),
      outbound: f.rules.outbound.map(rule),
    },
    servers: f.servers.map((s) => ({ id: s.id, label: s.label })),
    created_at: f.createdAt.toISOString(),
    updated_at: f.updatedAt.toISOString(),
  });
}
