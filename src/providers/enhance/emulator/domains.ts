import { isIP } from 'node:net';
import type { Hono } from 'hono';
import { fail, invalid, notFound, type Call, routesAt } from './http.ts';
import { checkDomain, website } from './websites.ts';
import { uuid, type EmuDomain, type EmuWebsite, type EnhanceEmulatorState } from './state.ts';

/** Spec §4.3: a website's domains (mappings) and each domain's DNS zone and records. */

const KINDS = ['A', 'AAAA', 'CNAME', 'TXT', 'SPF', 'SRV', 'NS', 'MX', 'PTR', 'DS', 'CAA'];
const HOST = /^(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
const NAME = /^(@|\*|(\*\.)?[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9])?)$/i;

type EmuRecord = { id: string; kind: string; name: string; value: string; ttl: number | null; proxy: boolean };

export function domainRoutes(app: Hono, state: EnhanceEmulatorState): void {
  const r = routesAt(app, state, '/api/orgs/:org/websites/:site');

  r('get', '/domains', (call) => {
    const site = website(state, call);
    return { body: { items: site.domains.map((d) => mappingJson(site, d)) } };
  });

  r('post', '/domains', (call) => {
    const site = website(state, call);
    const domain = typeof call.body.domain === 'string' ? call.body.domain.trim().toLowerCase() : '';
    if (!domain) throw invalid('domain');
    const kind = call.body.kind ?? 'alias';
    if (kind !== 'alias' && kind !== 'addon' && kind !== 'subdomain') throw invalid('kind');
    if (kind === 'subdomain' && !site.domains.some((d) => domain.endsWith(`.${d.domain}`)))
      throw invalid('domain', 'A subdomain must be below one of the website’s domains');
    if (checkDomain(state, site.orgId, domain).status !== 'notInUse')
      throw fail(403, 'forbidden', 'domain', 'The domain is not allowed or is already in use');
    const resource = QUOTA[kind];
    const limit = planOf(state, site)?.resources.find((x) => x.name === resource)?.total;
    if (limit !== undefined && limit !== null && domainUsage(state, site.subscriptionId, kind) >= limit)
      throw fail(403, 'resource_limit', resource, `The subscription has no ${resource} left`);
    const documentRoot =
      typeof call.body.documentRoot === 'string' ? call.body.documentRoot : kind === 'alias' ? 'public_html' : domain;
    const d: EmuDomain = { id: uuid(), domain, documentRoot, kind };
    site.domains.push(d);
    return { status: 201, body: { id: d.id } };
  });

  // NewPrimaryDomainMapping: the named domain becomes the primary; the old primary stays as an alias.
  r('put', '/domains/primary', (call) => {
    const site = website(state, call);
    const id = call.body.domainId;
    if (typeof id !== 'string' || !id) throw invalid('domainId');
    const d = site.domains.find((x) => x.id === id);
    if (!d) throw notFound('domain');
    if (d.kind === 'subdomain') throw invalid('domainId', 'A subdomain cannot be the primary domain');
    if (d.kind !== 'primary') {
      for (const x of site.domains) if (x.kind === 'primary') x.kind = 'alias';
      d.kind = 'primary';
    }
    return { status: 200 };
  });

  r('get', '/domains/:domain', (call) => {
    const site = website(state, call);
    return { body: mappingJson(site, domainOf(site, call)) };
  });

  r('delete', '/domains/:domain', (call) => {
    const site = website(state, call);
    const d = domainOf(site, call);
    if (d.kind === 'primary') throw fail(403, 'forbidden', 'primary', 'The primary domain cannot be removed');
    site.domains.splice(site.domains.indexOf(d), 1);
    site.extras.dnsZones.delete(d.id);
    return { status: 204 };
  });

  r('get', '/domains/:domain/dns-zone', (call) => {
    const site = website(state, call);
    const d = domainOf(site, call);
    return {
      body: {
        origin: d.domain,
        soa: {
          adminEmail: `hostmaster.${d.domain}`,
          nameServer: 'ns1.hosting-demo.test',
          expire: 1209600,
          refresh: 10800,
          retry: 3600,
          ttl: 3600,
        },
        records: zoneOf(site, d),
        dnssecDsRecords: null,
        dnssecDnskeyRecords: null,
      },
    };
  });

  r('post', '/domains/:domain/dns-zone/records', (call) => {
    const site = website(state, call);
    const records = zoneOf(site, domainOf(site, call));
    const rec = { id: uuid(), ...validRecord(call.body) };
    records.push(rec);
    return { status: 201, body: { id: rec.id } };
  });

  r('patch', '/domains/:domain/dns-zone/records/:record', (call) => {
    const site = website(state, call);
    const records = zoneOf(site, domainOf(site, call));
    const rec = records.find((x) => x.id === call.param('record'));
    if (!rec) throw notFound('record');
    Object.assign(rec, validRecord({ ...rec, ...call.body }));
    return { status: 204 };
  });

  r('delete', '/domains/:domain/dns-zone/records/:record', (call) => {
    const site = website(state, call);
    const records = zoneOf(site, domainOf(site, call));
    const at = records.findIndex((x) => x.id === call.param('record'));
    if (at < 0) throw notFound('record');
    records.splice(at, 1);
    return { status: 204 };
  });
}

/** The plan resource each kind of added domain counts against. */
const QUOTA: Record<string, string> = { alias: 'domainAliases', addon: 'addonDomains', subdomain: 'subdomains' };

function planOf(state: EnhanceEmulatorState, site: EmuWebsite) {
  const sub = state.subscriptions.get(site.subscriptionId);
  return sub ? state.plans.get(sub.planId) : undefined;
}

/** Domains of one kind across the subscription's live websites. */
function domainUsage(state: EnhanceEmulatorState, subscriptionId: number, kind: string): number {
  let n = 0;
  for (const w of state.websites.values())
    if (w.subscriptionId === subscriptionId && w.status !== 'deleted')
      n += w.domains.filter((d) => d.kind === kind).length;
  return n;
}

export function domainOf(site: EmuWebsite, call: Call): EmuDomain {
  const d = site.domains.find((x) => x.id === call.param('domain'));
  if (!d) throw notFound('domain');
  return d;
}

function mappingJson(site: EmuWebsite, d: EmuDomain) {
  return {
    domainId: d.id,
    websiteId: site.id,
    domain: d.domain,
    mappingKind: d.kind,
    documentRoot: d.documentRoot,
    cloudflareStatus: 'Disconnected',
  };
}

/** The zone's records, created with the usual defaults on first use. */
function zoneOf(site: EmuWebsite, d: EmuDomain): EmuRecord[] {
  let zone = site.extras.dnsZones.get(d.id);
  if (!zone) {
    const ip = site.serverIps.find((x) => x.isPrimary)?.ip ?? site.serverIps[0]?.ip ?? '203.0.113.10';
    const rec = (kind: string, name: string, value: string): EmuRecord => ({
      id: uuid(),
      kind,
      name,
      value,
      ttl: 3600,
      proxy: false,
    });
    zone = {
      records: [
        rec('A', '@', ip),
        rec('CNAME', 'www', `${d.domain}.`),
        rec('MX', '@', `10 mail.${d.domain}.`),
        rec('TXT', '@', 'v=spf1 a mx ~all'),
      ],
    };
    site.extras.dnsZones.set(d.id, zone);
  }
  return zone.records as EmuRecord[];
}

/** A record's fields checked per kind (400 naming the field otherwise). */
function validRecord(b: Record<string, unknown>): Omit<EmuRecord, 'id'> {
  const { kind, name, value, ttl, proxy } = b;
  if (typeof kind !== 'string' || !KINDS.includes(kind)) throw invalid('kind');
  if (typeof name !== 'string' || !NAME.test(name)) throw invalid('name');
  if (typeof value !== 'string' || !value.trim()) throw invalid('value');
  if (
    ttl !== undefined &&
    ttl !== null &&
    (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 60 || ttl > 604800)
  )
    throw invalid('ttl');
  if (proxy !== undefined && typeof proxy !== 'boolean') throw invalid('proxy');
  const v = value.trim();
  const ok =
    kind === 'A'
      ? isIP(v) === 4
      : kind === 'AAAA'
        ? isIP(v) === 6
        : kind === 'CNAME' || kind === 'NS' || kind === 'PTR'
          ? HOST.test(v)
          : kind === 'MX'
            ? /^\d{1,5}\s+\S+$/.test(v) && HOST.test(v.split(/\s+/)[1]!)
            : kind === 'SRV'
              ? /^\d+\s+\d+\s+\d+\s+\S+$/.test(v)
              : kind === 'CAA'
                ? /^\d+\s+(issue|issuewild|iodef)\s+\S+$/.test(v)
                : v.length <= 4096;
  if (!ok) throw invalid('value', `Invalid value for a ${kind} record`);
  return { kind, name, value: v, ttl: typeof ttl === 'number' ? ttl : null, proxy: proxy === true };
}
