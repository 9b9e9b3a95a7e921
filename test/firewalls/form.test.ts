import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, MAX_RULES, toCloudRules } from '../../src/domain/firewalls/rules.ts';
import { applyRowOp, formOf, inputOf, readForm } from '../../src/web/pages/portal/firewalls/form.ts';

describe('the firewall form', () => {
  it('reads rows in index order, whatever order the fields came in, and turns addresses into a list', () => {
    const form = readForm({
      label: 'web',
      inbound_policy: 'DROP',
      outbound_policy: 'ACCEPT',
      'inbound.1.ports': '443',
      'inbound.1.protocol': 'TCP',
      'inbound.1.addresses': '0.0.0.0/0 ::/0',
      'inbound.0.ports': '22',
      'inbound.0.addresses': '203.0.113.4,  2001:db8::1',
      'outbound.0.protocol': 'ICMP',
      'inbound.99.ports': '1',
      'sideways.0.ports': '1',
    });
    expect(form.inbound.map((r) => r.ports)).toEqual(['22', '443']);
    expect(form.outbound.map((r) => r.protocol)).toEqual(['ICMP']);
    expect(inputOf(form).rules.inbound[0]!.addresses).toEqual(['203.0.113.4', '2001:db8::1']);
    expect(inputOf(form).rules.inbound[1]!.addresses).toEqual(['0.0.0.0/0', '::/0']);
  });

  it('adds a row (never past the limit) and removes the one named; anything else is no row operation', () => {
    const form = formOf('web');
    expect(applyRowOp(form, 'add:outbound')!.outbound).toHaveLength(1);
    expect(applyRowOp(form, 'remove:inbound:0')!.inbound).toEqual([]);
    expect(applyRowOp(form, 'remove:inbound:7')!.inbound).toHaveLength(1);
    expect(applyRowOp(form, undefined)).toBeNull();
    expect(applyRowOp(form, 'drop:tables')).toBeNull();
    const full = { ...form, outbound: Array.from({ length: MAX_RULES - 1 }, () => form.inbound[0]!) };
    expect(applyRowOp(full, 'add:inbound')!.inbound).toHaveLength(1);
  });

  it('sends the provider IPv4 and IPv6 addresses apart, and no ports for ICMP', () => {
    const cloud = toCloudRules({
      ...DEFAULT_RULES,
      outbound: [{ action: 'DROP', protocol: 'ICMP', ports: null, addresses: ['10.0.0.0/8', 'fd00::/8'], label: null }],
    });
    expect(cloud.inbound[0]).toEqual({
      action: 'ACCEPT',
      protocol: 'TCP',
      ports: '22',
      ipv4: ['0.0.0.0/0'],
      ipv6: ['::/0'],
      label: 'ssh',
    });
    expect(cloud.outbound[0]).toMatchObject({ ports: null, ipv4: ['10.0.0.0/8'], ipv6: ['fd00::/8'] });
  });
});
