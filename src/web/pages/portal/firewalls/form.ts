import type { Rule, Rules } from '../../../../domain/firewalls/rules.ts';
import { DEFAULT_RULES, MAX_RULES } from '../../../../domain/firewalls/rules.ts';

/**
 * The firewall form as typed: flat fields (`label`, `inbound_policy`, `inbound.0.protocol`,
 * `inbound.0.addresses`…) read into rows, turned into the domain's input, and changed by the
 * add/remove-row buttons (`op=add:inbound`, `op=remove:outbound:2`), which re-render the form
 * on the server without saving it (so the rows work with htmx and without).
 */

export const SIDES = ['inbound', 'outbound'] as const;
type Side = (typeof SIDES)[number];

export interface RuleRow {
  action: string;
  protocol: string;
  ports: string;
  addresses: string;
  label: string;
}
export interface FirewallForm {
  label: string;
  inbound_policy: string;
  outbound_policy: string;
  inbound: RuleRow[];
  outbound: RuleRow[];
}

const EMPTY_ROW: RuleRow = { action: 'ACCEPT', protocol: 'TCP', ports: '', addresses: '0.0.0.0/0, ::/0', label: '' };

const rowOf = (r: Rule): RuleRow => ({
  action: r.action,
  protocol: r.protocol,
  ports: r.ports ?? '',
  addresses: r.addresses.join(', '),
  label: r.label ?? '',
});

/** The form showing stored rules (or a new firewall's defaults). */
export function formOf(label: string, rules: Rules = DEFAULT_RULES): FirewallForm {
  return {
    label,
    inbound_policy: rules.inboundPolicy,
    outbound_policy: rules.outboundPolicy,
    inbound: rules.inbound.map(rowOf),
    outbound: rules.outbound.map(rowOf),
  };
}

/** The form as posted (at most MAX_RULES rows a side are read; the domain refuses more in all). */
export function readForm(fields: Record<string, string>): FirewallForm {
  const rows: Record<Side, Map<number, RuleRow>> = { inbound: new Map(), outbound: new Map() };
  for (const [key, value] of Object.entries(fields)) {
    const m = /^(inbound|outbound)\.(\d{1,2})\.(action|protocol|ports|addresses|label)$/.exec(key);
    if (!m || Number(m[2]) > MAX_RULES) continue;
    const side = rows[m[1] as Side];
    const row = side.get(Number(m[2])) ?? { ...EMPTY_ROW, addresses: '' };
    row[m[3] as keyof RuleRow] = value;
    side.set(Number(m[2]), row);
  }
  const ordered = (side: Side) => [...rows[side].entries()].sort(([a], [b]) => a - b).map(([, r]) => r);
  return {
    label: fields.label ?? '',
    inbound_policy: fields.inbound_policy ?? '',
    outbound_policy: fields.outbound_policy ?? '',
    inbound: ordered('inbound'),
    outbound: ordered('outbound'),
  };
}

/** The domain's input (`{ label, rules }`) for the form. */
export function inputOf(form: FirewallForm) {
  const rule = (r: RuleRow) => ({
    action: r.action,
    protocol: r.protocol,
    ports: r.ports,
    addresses: r.addresses.split(/[\s,]+/).filter(Boolean),
    label: r.label,
  });
  return {
    label: form.label,
    rules: {
      inbound_policy: form.inbound_policy,
      outbound_policy: form.outbound_policy,
      inbound: form.inbound.map(rule),
      outbound: form.outbound.map(rule),
    },
  };
}

/** Applies an add/remove-row button to the form; null when `op` is not one. */
export function applyRowOp(form: FirewallForm, op: string | undefined): FirewallForm | null {
  const m = /^(add|remove):(inbound|outbound)(?::(\d{1,2}))?$/.exec(op ?? '');
  if (!m) return null;
  const side = m[2] as Side;
  const rows = [...form[side]];
  if (m[1] === 'add' && form.inbound.length + form.outbound.length < MAX_RULES) rows.push({ ...EMPTY_ROW });
  if (m[1] === 'remove' && m[3] !== undefined) rows.splice(Number(m[3]), 1);
  return { ...form, [side]: rows };
}
