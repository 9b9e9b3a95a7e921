import type { Hono } from 'hono';
import { EmuError, api, fail, notFound, type Reply } from './http.ts';
import { instanceOr404 } from './instances.ts';
import { paged } from './listing.ts';
import type { FieldError } from './rules.ts';
import { addEvent, nowMs, type EmulatedEvent, type EmulatedFirewall, type LinodeEmulatorState } from './state.ts';
import { deviceJson, firewallJson, rulesJson } from './views.ts';

/**
 * Cloud Firewalls (spec §6.14, §8.9): rules with policies, and devices (Linodes) attached.
 * Rule checks follow the spec's shapes; limits and wording are guesses, as is "one firewall
 * per Linode" (what Cloud Manager enforces today).
 */

const POLICIES = ['ACCEPT', 'DROP'];
const PROTOCOLS = ['TCP', 'UDP', 'ICMP', 'IPENCAP'];
const PORTS = /^\d{1,5}(-\d{1,5})?(, ?\d{1,5}(-\d{1,5})?)*$/;

function checkRule(r: unknown, at: string): FieldError[] {
  if (!r || typeof r !== 'object') return [{ field: at, reason: 'Must be a rule object' }];
  const rule = r as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (!POLICIES.includes(rule.action as string))
    errors.push({ field: `${at}.action`, reason: 'Must be one of ACCEPT, DROP' });
  if (!PROTOCOLS.includes(rule.protocol as string))
    errors.push({ field: `${at}.protocol`, reason: 'Must be one of TCP, UDP, ICMP, IPENCAP' });
  if (rule.ports !== undefined && rule.ports !== null && rule.ports !== '') {
    const ports = String(rule.ports);
    const numbers = ports.split(/[,-]/).map((p) => Number(p.trim()));
    if (rule.protocol === 'ICMP' || rule.protocol === 'IPENCAP')
      errors.push({ field: `${at}.ports`, reason: `Ports are not allowed for ${String(rule.protocol)} rules` });
    else if (!PORTS.test(ports) || numbers.some((n) => n < 1 || n > 65535) || ports.split(',').length > 15)
      errors.push({ field: `${at}.ports`, reason: 'Invalid port range' });
  }
  const addresses = rule.addresses as { ipv4?: unknown; ipv6?: unknown } | undefined;
  const lists = [addresses?.ipv4, addresses?.ipv6].filter((l) => l !== undefined && l !== null);
  if (
    !addresses ||
    lists.some((l) => !Array.isArray(l) || l.some((a) => typeof a !== 'string')) ||
    lists.flat().length === 0
  ) {
    errors.push({ field: `${at}.addresses`, reason: 'Must contain at least one IPv4 or IPv6 address or range' });
  }
  if (
    rule.label !== undefined &&
    rule.label !== null &&
    (typeof rule.label !== 'string' || rule.label.length < 3 || rule.label.length > 32)
  ) {
    errors.push({ field: `${at}.label`, reason: 'Length must be 3-32 characters' });
  }
  return errors;
}

function checkRules(rules: unknown): FieldError[] {
  if (!rules || typeof rules !== 'object') return [{ field: 'rules', reason: 'rules is required' }];
  const r = rules as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const side of ['inbound', 'outbound'] as const) {
    if (!POLICIES.includes(r[`${side}_policy`] as string))
      errors.push({ field: `rules.${side}_policy`, reason: 'Must be one of ACCEPT, DROP' });
    const list = r[side] ?? [];
    if (!Array.isArray(list)) errors.push({ field: `rules.${side}`, reason: 'Must be an array' });
    else list.forEach((rule, n) => errors.push(...checkRule(rule, `rules.${side}[${n}]`)));
  }
  const count = [r.inbound, r.outbound].filter(Array.isArray).flat().length;
  if (count > 25) errors.push({ field: 'rules', reason: 'A firewall may have at most 25 rules' });
  return errors;
}

function checkLabel(state: LinodeEmulatorState, label: unknown, selfId?: number): FieldError[] {
  if (typeof label !== 'string' || label.length < 3 || label.length > 32)
    return [{ field: 'label', reason: 'Length must be 3-32 characters' }];
  if (!/^[A-Za-z0-9_.-]+$/.test(label))
    return [{ field: 'label', reason: 'Label may only contain letters, numbers, dashes, underscores and periods' }];
  for (const fw of state.firewalls.values())
    if (fw.id !== selfId && fw.label === label) return [{ field: 'label', reason: 'Label must be unique' }];
  return [];
}

const entity = (fw: EmulatedFirewall): EmulatedEvent['entity'] => ({
  id: fw.id,
  label: fw.label,
  type: 'firewall',
  url: `/v4/networking/firewalls/${fw.id}`,
});

function storeRules(fw: EmulatedFirewall, rules: Record<string, unknown>): void {
  fw.rules = {
    inbound: (rules.inbound as unknown[] | undefined) ?? [],
    inbound_policy: rules.inbound_policy as 'ACCEPT' | 'DROP',
    outbound: (rules.outbound as unknown[] | undefined) ?? [],
    outbound_policy: rules.outbound_policy as 'ACCEPT' | 'DROP',
    version: fw.rules.version + 1,
  };
}

function firewallOr404(state: LinodeEmulatorState, raw: string): EmulatedFirewall {
  const fw = /^\d+$/.test(raw) ? state.firewalls.get(Number(raw)) : undefined;
  if (!fw) throw notFound();
  return fw;
}

function attach(state: LinodeEmulatorState, fw: EmulatedFirewall, body: Record<string, unknown>): Reply {
  if (body.type !== 'linode') throw fail(400, 'Only Linodes can be attached in this emulator', 'type');
  const inst = typeof body.id === 'number' ? state.instances.get(body.id) : undefined;
  if (!inst) throw fail(400, 'Linode not found', 'id');
  for (const other of state.firewalls.values()) {
    if (other.devices.some((d) => d.linodeId === inst.id))
      throw fail(400, 'Linode already assigned to a Firewall.', 'id');
  }
  const device = { id: ++state.seq.device, linodeId: inst.id, created: nowMs(state) };
  fw.devices.push(device);
  addEvent(state, 'firewall_device_add', entity(fw), 'notification');
  return { body: deviceJson(state, device) };
}

function create(state: LinodeEmulatorState, b: Record<string, unknown>): Reply {
  const errors = [...checkLabel(state, b.label), ...checkRules(b.rules)];
  const linodes = (b.devices as { linodes?: unknown } | undefined)?.linodes ?? [];
  if (!Array.isArray(linodes) || linodes.some((id) => !state.instances.has(id as number)))
    errors.push({ field: 'devices.linodes', reason: 'Linode not found' });
  else if (linodes.some((id) => [...state.firewalls.values()].some((f) => f.devices.some((d) => d.linodeId === id)))) {
    errors.push({ field: 'devices.linodes', reason: 'Linode already assigned to a Firewall.' });
  }
  if (errors.length) throw new EmuError(400, errors);
  const now = nowMs(state);
  const fw: EmulatedFirewall = {
    id: ++state.seq.firewall,
    label: b.label as string,
    status: 'enabled',
    tags: Array.isArray(b.tags) ? (b.tags as string[]) : [],
    created: now,
    updated: now,
    rules: { inbound: [], inbound_policy: 'ACCEPT', outbound: [], outbound_policy: 'ACCEPT', version: 0 },
    devices: [],
  };
  storeRules(fw, b.rules as Record<string, unknown>);
  state.firewalls.set(fw.id, fw);
  for (const id of linodes as number[]) attach(state, fw, { id, type: 'linode' });
  return { body: firewallJson(fw) };
}

function update(state: LinodeEmulatorState, fw: EmulatedFirewall, b: Record<string, unknown>): Reply {
  const errors = b.label !== undefined ? checkLabel(state, b.label, fw.id) : [];
  if (b.status !== undefined && b.status !== 'enabled' && b.status !== 'disabled')
    errors.push({ field: 'status', reason: 'Must be one of enabled, disabled' });
  if (errors.length) throw new EmuError(400, errors);
  if (typeof b.label === 'string') fw.label = b.label;
  if (b.status === 'enabled' || b.status === 'disabled') fw.status = b.status;
  if (Array.isArray(b.tags)) fw.tags = b.tags as string[];
  fw.updated = nowMs(state);
  addEvent(state, 'firewall_update', entity(fw), 'notification');
  return { body: firewallJson(fw) };
}

export function firewallRoutes(app: Hono, state: LinodeEmulatorState): void {
  const fwOf = (param: (name: string) => string) => firewallOr404(state, param('id'));
  const all = () => [...state.firewalls.values()];
  const FILTERABLE = ['id', 'label', 'status', 'tags'];
  app.get(
    '/networking/firewalls',
    api(state, 'list_firewalls', ({ c }) =>
      paged(
        c,
        all().map((f) => ({ ...firewallJson(f) })),
        { filterable: FILTERABLE },
      ),
    ),
  );
  app.post(
    '/networking/firewalls',
    api(state, 'create_firewall', ({ body }) => create(state, body)),
  );
  app.get(
    '/networking/firewalls/:id',
    api(state, 'get_firewall', ({ param }) => ({ body: firewallJson(fwOf(param)) })),
  );
  app.put(
    '/networking/firewalls/:id',
    api(state, 'update_firewall', ({ param, body }) => update(state, fwOf(param), body)),
  );
  app.delete(
    '/networking/firewalls/:id',
    api(state, 'delete_firewall', ({ param }) => {
      state.firewalls.delete(fwOf(param).id);
      return { body: {} };
    }),
  );
  app.get(
    '/networking/firewalls/:id/rules',
    api(state, 'get_firewall_rules', ({ param }) => ({ body: rulesJson(fwOf(param)) })),
  );
  app.put(
    '/networking/firewalls/:id/rules',
    api(state, 'update_firewall_rules', ({ param, body }) => {
      const fw = fwOf(param);
      const errors = checkRules(body);
      if (errors.length) throw new EmuError(400, errors);
      storeRules(fw, body);
      fw.updated = nowMs(state);
      addEvent(state, 'firewall_update', entity(fw), 'notification');
      return { body: rulesJson(fw) };
    }),
  );
  app.get(
    '/networking/firewalls/:id/devices',
    api(state, 'list_firewall_devices', ({ c, param }) =>
      paged(
        c,
        fwOf(param).devices.map((d) => ({ ...deviceJson(state, d) })),
        { filterable: ['id'] },
      ),
    ),
  );
  app.post(
    '/networking/firewalls/:id/devices',
    api(state, 'add_firewall_device', ({ param, body }) => attach(state, fwOf(param), body)),
  );
  app.get(
    '/networking/firewalls/:id/devices/:deviceId',
    api(state, 'get_firewall_device', ({ param }) => {
      const device = fwOf(param).devices.find((d) => String(d.id) === param('deviceId'));
      if (!device) throw notFound();
      return { body: deviceJson(state, device) };
    }),
  );
  app.delete(
    '/networking/firewalls/:id/devices/:deviceId',
    api(state, 'delete_firewall_device', ({ param }) => {
      const fw = fwOf(param);
      const before = fw.devices.length;
      fw.devices = fw.devices.filter((d) => String(d.id) !== param('deviceId'));
      if (fw.devices.length === before) throw notFound();
      addEvent(state, 'firewall_device_remove', entity(fw), 'notification');
      return { body: {} };
    }),
  );
  app.get(
    '/linode/instances/:id/firewalls',
    api(state, 'instance_firewalls', ({ c, param }) => {
      const inst = instanceOr404(state, param('id'));
      return paged(
        c,
        all()
          .filter((f) => f.devices.some((d) => d.linodeId === inst.id))
          .map((f) => ({ ...firewallJson(f) })),
        { filterable: FILTERABLE },
      );
    }),
  );
}
