import type { Hono } from 'hono';
import { api, fail, notFound, type Reply } from './http.ts';
import { instanceOr404 } from './instances.ts';
import { paged } from './listing.ts';
import { addEvent, linodeEntity, normalName, type LinodeEmulatorState } from './state.ts';
import { ipJson, linkLocal } from './views.ts';

/**
 * Instance addresses and reverse DNS (spec §8.4). Linode only accepts an rDNS name whose
 * forward lookup (A/AAAA) already gives the address; the emulator's "DNS" is the table of
 * resolvable names in the controls, plus `resolvesDomains`, under which `a-b-c-d.<domain>`
 * resolves to a.b.c.d (what a reseller's wildcard zone does). `rdns: null` restores the default.
 */

/** True when `name`'s forward lookup would give `address`. */
export function resolves(state: LinodeEmulatorState, name: string, address: string): boolean {
  const n = normalName(name);
  if (state.resolvable.get(n)?.has(address)) return true;
  for (const domain of state.resolvesDomains) {
    if (!n.endsWith(`.${domain}`)) continue;
    const host = n.slice(0, -(domain.length + 1));
    if (/^\d{1,3}(-\d{1,3}){3}$/.test(host) && host.replaceAll('-', '.') === address) return true;
  }
  return false;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i;

function setRdns(state: LinodeEmulatorState, address: string, body: Record<string, unknown>): Reply {
  const rec = state.ips.get(address);
  const current = ipJson(state, address);
  if (!rec || !current) throw notFound();
  if (!('rdns' in body)) throw fail(400, 'rdns is required', 'rdns');
  const name = body.rdns;
  if (name !== null) {
    // Guess: the wording of these three refusals is not documented (spec §11).
    if (!current.public) throw fail(400, 'Cannot set rDNS on a private address', 'rdns');
    if (typeof name !== 'string' || !HOSTNAME.test(name)) throw fail(400, 'Invalid hostname', 'rdns');
    if (!resolves(state, name, address)) throw fail(400, 'Domain does not resolve to this address.', 'rdns');
  }
  rec.rdns = name === null ? null : normalName(name);
  const inst = state.instances.get(rec.linodeId);
  if (inst) addEvent(state, 'ipaddress_update', linodeEntity(inst), 'notification');
  return { body: ipJson(state, address) };
}

function instanceIps(state: LinodeEmulatorState, id: string): Reply {
  const inst = instanceOr404(state, id);
  const ip = (a: string) => ipJson(state, a)!;
  return {
    body: {
      ipv4: {
        public: [ip(inst.publicIpv4)],
        private: inst.privateIpv4 ? [ip(inst.privateIpv4)] : [],
        shared: [],
        reserved: [],
        vpc: [],
      },
      ipv6: { slaac: ip(inst.ipv6), link_local: linkLocal(inst), global: [] },
    },
  };
}

export function networkingRoutes(app: Hono, state: LinodeEmulatorState): void {
  app.get(
    '/linode/instances/:id/ips',
    api(state, 'instance_ips', ({ param }) => instanceIps(state, param('id'))),
  );
  app.get(
    '/networking/ips',
    api(state, 'list_ips', ({ c }) =>
      paged(
        c,
        [...state.ips.keys()].map((a) => ({ ...ipJson(state, a)! })),
        { filterable: ['address', 'linode_id', 'region', 'type', 'public', 'rdns'], order: { by: 'address' } },
      ),
    ),
  );
  app.get(
    '/networking/ips/:address',
    api(state, 'get_ip', ({ param }) => {
      const ip = ipJson(state, param('address'));
      if (!ip) throw notFound();
      return { body: ip };
    }),
  );
  app.put(
    '/networking/ips/:address',
    api(state, 'update_ip', ({ param, body }) => setRdns(state, param('address'), body)),
  );
}
