import { isIP } from 'node:net';
import { AppError, ValidationError } from '../../lib/errors.ts';
import type { EnhanceDnsRecord, EnhanceDnsRecordKind } from '../../providers/enhance/index.ts';
import type { Actor } from '../access/actor.ts';
import { auditSite, domainsOf, panel, siteContext, type SiteContext, type SiteDeps, type SiteDomain } from './site.ts';

/**
 * The DNS zones of a hosting service's domains (issue 17 item 4): each zone's records listed,
 * added, changed and deleted, each checked for its kind before the panel sees it:
 *   A        an IPv4 address            AAAA   an IPv6 address
 *   CNAME    a hostname (not at @, not beside other records of the same name)
 *   NS       a hostname (delegates a subdomain; the zone's own servers are the panel's)
 *   MX       "priority host"            SRV    "priority weight port target", named _service._proto
 *   TXT/SPF  text up to 2048 characters (SPF starts with v=spf1)
 *   CAA      "flags tag value" (tag issue, issuewild or iodef)
 * TTL: whole seconds from 60 to 604800 (a week); 3600 when not given. Names are relative to the
 * zone (`@` is the zone itself; `*` a wildcard; a name ending in the zone's domain is made relative).
 */

export const RECORD_KINDS = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SPF', 'SRV', 'CAA', 'NS'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const TTL_MIN = 60;
export const TTL_MAX = 604_800;
export const TTL_DEFAULT = 3600;
export const TXT_MAX = 2048;

/** What each kind's value looks like, for forms and messages. */
export const VALUE_HINTS: Record<RecordKind, string> = {
  A: 'An IPv4 address, such as 203.0.113.10',
  AAAA: 'An IPv6 address, such as 2001:db8::10',
  CNAME: 'A hostname, such as example.com',
  MX: 'Priority then mail server, such as 10 mail.example.com',
  TXT: `Text, up to ${TXT_MAX} characters`,
  SPF: 'An SPF policy, such as v=spf1 a mx ~all',
  SRV: 'Priority, weight, port and target, such as 10 5 5060 sip.example.com',
  CAA: 'Flags, tag and value, such as 0 issue letsencrypt.org',
  NS: 'A name server, such as ns1.example.net',
};

export interface RecordInput {
  kind?: string;
  name?: string;
  value?: string;
  ttl?: string | number | null;
}

export interface DnsRecord {
  id: string;
  kind: string;
  name: string;
  value: string;
  ttl: number | null;
}

const HOST_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;
const NAME_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A hostname (underscores allowed, as in DKIM targets) as an absolute name with its dot, or null. */
function absoluteHost(input: string): string | null {
  const h = input.trim().toLowerCase().replace(/\.$/, '');
  if (!h || h.length > 253 || isIP(h)) return null;
  const labels = h.split('.');
  if (labels.length < 2 || !labels.every((l) => HOST_LABEL.test(l))) return null;
  return `${h}.`;
}

/** The record name relative to `origin` ('@' for the zone itself), or null when it is not a name. */
export function relativeName(input: string, origin: string): string | null {
  let n = input.trim().toLowerCase().replace(/\.$/, '');
  if (n === '' || n === '@' || n === origin) return '@';
  if (n.endsWith(`.${origin}`)) n = n.slice(0, -origin.length - 1);
  if (n.length > 253 - origin.length - 1) return null;
  const labels = n.split('.');
  const ok = labels.every((l, i) => (i === 0 && l === '*') || NAME_LABEL.test(l));
  return ok ? n : null;
}

const int = (s: string | undefined, max: number) =>
  s !== undefined && /^\d{1,10}$/.test(s) && Number(s) <= max ? Number(s) : null;

/**
 * A record checked for its kind: the normalised `{kind, name, value, ttl}`, or a ValidationError
 * naming each bad field (kind, name, value, ttl). `others`: the zone's other records (CNAME rules).
 */
export function validRecord(
  input: RecordInput,
  origin: string,
  others: readonly DnsRecord[] = [],
): { kind: RecordKind; name: string; value: string; ttl: number } {
  const fields: Record<string, string> = {};
  const kind = String(input.kind ?? '')
    .trim()
    .toUpperCase() as RecordKind;
  if (!RECORD_KINDS.includes(kind)) fields.kind = `Choose a record type: ${RECORD_KINDS.join(', ')}.`;
  const name = relativeName(String(input.name ?? ''), origin);
  if (name === null)
    fields.name = `Enter @ for ${origin} itself, or a name below it such as www (letters, digits, hyphens and underscores).`;

  let ttl = TTL_DEFAULT;
  const rawTtl = input.ttl === null || input.ttl === undefined ? '' : String(input.ttl).trim();
  if (rawTtl !== '') {
    const t = /^\d+$/.test(rawTtl) ? Number(rawTtl) : NaN;
    if (!Number.isInteger(t) || t < TTL_MIN || t > TTL_MAX)
      fields.ttl = `TTL is whole seconds from ${TTL_MIN} to ${TTL_MAX} (a week).`;
    else ttl = t;
  }

  const raw = String(input.value ?? '').trim();
  let value: string | null = null;
  const bad = (why: string) => (fields.value = why);
  if (fields.kind) {
    // Nothing more to say about the value until the kind is known.
  } else if (!raw) bad(`Enter the value. ${VALUE_HINTS[kind]}.`);
  else if (/[\r\n\0]/.test(raw)) bad('The value must be on one line.');
  else {
    const parts = raw.split(/\s+/);
    switch (kind) {
      case 'A':
        if (isIP(raw) === 4) value = raw;
        else bad('An A record points at an IPv4 address, such as 203.0.113.10.');
        break;
      case 'AAAA':
        if (isIP(raw) === 6) value = raw.toLowerCase();
        else bad('An AAAA record points at an IPv6 address, such as 2001:db8::10.');
        break;
      case 'CNAME':
      case 'NS':
        value = absoluteHost(raw);
        if (!value)
          bad(`A ${kind} record points at a hostname, such as ${kind === 'NS' ? 'ns1.example.net' : 'example.com'}.`);
        break;
      case 'MX': {
        const prio = int(parts[0], 65_535);
        const host = parts.length === 2 ? absoluteHost(parts[1]!) : null;
        if (prio === null || !host)
          bad('An MX record is a priority (0–65535) then the mail server’s hostname, such as 10 mail.example.com.');
        else value = `${prio} ${host}`;
        break;
      }
      case 'SRV': {
        const [p, w, port] = [int(parts[0], 65_535), int(parts[1], 65_535), int(parts[2], 65_535)];
        const target = parts[3] === '.' ? '.' : parts[3] ? absoluteHost(parts[3]) : null;
        if (parts.length !== 4 || p === null || w === null || port === null || !target)
          bad(
            'An SRV record is priority, weight and port (each 0–65535) then the target hostname, such as 10 5 5060 sip.example.com.',
          );
        else value = `${p} ${w} ${port} ${target}`;
        break;
      }
      case 'CAA': {
        const flags = int(parts[0], 255);
        const tag = parts[1]?.toLowerCase();
        const v = parts
          .slice(2)
          .join(' ')
          .replace(/^"(.*)"$/, '$1');
        const validValue =
          tag === 'iodef'
            ? /^(mailto:\S+@\S+|https?:\/\/\S+)$/i.test(v)
            : v === ';' || (!!v && /^[a-z0-9.-]+(;\s*\S.*)?$/i.test(v) && !/\s/.test(v));
        if (flags === null || (tag !== 'issue' && tag !== 'issuewild' && tag !== 'iodef') || !validValue)
          bad(
            'A CAA record is flags (0–255), a tag (issue, issuewild or iodef) and a value, such as 0 issue letsencrypt.org.',
          );
        else value = `${flags} ${tag} "${v}"`;
        break;
      }
      case 'TXT':
      case 'SPF':
        if (raw.length > TXT_MAX) bad(`The text is at most ${TXT_MAX} characters (this is ${raw.length}).`);
        else if (kind === 'SPF' && !/^"?v=spf1(\s|"?$)/i.test(raw)) bad('An SPF record starts with v=spf1.');
        else value = raw;
        break;
    }
  }

  if (!fields.kind && name !== null) {
    if (kind === 'CNAME' && name === '@')
      fields.name = `A CNAME cannot be at @ (the zone itself): use an A record for ${origin}.`;
    else if (kind === 'NS' && name === '@')
      fields.name = 'The zone’s own name servers are managed for you: an NS record here delegates a subdomain.';
    else if (kind === 'SRV' && !/^_[a-z0-9-]+\._(tcp|udp|tls)(\.|$)/.test(name))
      fields.name = 'An SRV record is named _service._protocol, such as _sip._tcp.';
    else {
      const same = others.filter((r) => r.name.toLowerCase() === name);
      if (kind === 'CNAME' && same.length)
        fields.name = `${name} already has other records: a CNAME must be the only record of its name.`;
      else if (kind !== 'CNAME' && same.some((r) => r.kind === 'CNAME'))
        fields.name = `${name} has a CNAME record, which must be the only record of its name.`;
    }
  }
  if (Object.keys(fields).length) throw new ValidationError(fields);
  return { kind, name: name!, value: value!, ttl };
}

function toRecord(r: EnhanceDnsRecord): DnsRecord {
  return { id: r.id, kind: r.kind, name: r.name, value: r.value, ttl: r.ttl };
}

const KIND_RANK = (k: string) => {
  const i = (RECORD_KINDS as readonly string[]).indexOf(k);
  return i < 0 ? RECORD_KINDS.length : i;
};

/** Domains that have a zone of their own: the primary, aliases and addon domains (a subdomain's records live in its parent's zone). */
export function zoneDomains(domains: SiteDomain[]): SiteDomain[] {
  return domains.filter((d) => d.kind !== 'subdomain' && d.kind !== 'preview');
}

async function loadZone(deps: SiteDeps, ctx: SiteContext, domain: SiteDomain) {
  const zone = await panel(deps, () => ctx.client.getDnsZone(ctx.orgId, ctx.websiteId, domain.id));
  const records = zone.records
    .map(toRecord)
    .sort(
      (a, b) => KIND_RANK(a.kind) - KIND_RANK(b.kind) || a.name.localeCompare(b.name) || a.value.localeCompare(b.value),
    );
  return { origin: (zone.origin || domain.domain).replace(/\.$/, ''), records };
}

/** The zone of `domainId` (default the primary domain's), with the domains that have zones. */
export async function zoneOf(deps: SiteDeps, actor: Actor, serviceId: string, domainId?: string | null) {
  const ctx = await siteContext(deps, actor, serviceId);
  return zoneIn(deps, ctx, domainId);
}

async function zoneIn(deps: SiteDeps, ctx: SiteContext, domainId?: string | null) {
  const domains = zoneDomains(await domainsOf(deps, ctx));
  const domain = domainId
    ? domains.find((d) => d.id === domainId)
    : (domains.find((d) => d.kind === 'primary') ?? domains[0]);
  if (!domain) throw new AppError('not_found', 404, 'No such DNS zone on this website.');
  const zone = await loadZone(deps, ctx, domain);
  return { service: ctx.row, domains, domain, ...zone };
}

export async function createRecord(
  deps: SiteDeps,
  actor: Actor,
  serviceId: string,
  input: RecordInput & { domainId?: string | null },
): Promise<DnsRecord> {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const zone = await zoneIn(deps, ctx, input.domainId);
  const rec = validRecord(input, zone.origin, zone.records);
  const kind = rec.kind as EnhanceDnsRecordKind;
  const id = await panel(
    deps,
    () => ctx.client.createDnsRecord(ctx.orgId, ctx.websiteId, zone.domain.id, { ...rec, kind }),
    'value',
  );
  await auditSite(
    deps.db,
    actor,
    ctx.row,
    'hosting.dns_record_created',
    { zone: zone.origin, kind: rec.kind, name: rec.name, value: rec.value.slice(0, 200), ttl: rec.ttl },
    deps.clock.now(),
  );
  return { id, ...rec };
}

/** The zone holding record `recordId` (the given domain's, else the first zone that has it). */
async function zoneWith(deps: SiteDeps, ctx: SiteContext, recordId: string, domainId?: string | null) {
  const domains = zoneDomains(await domainsOf(deps, ctx));
  const candidates = domainId ? domains.filter((d) => d.id === domainId) : domains;
  for (const domain of candidates) {
    const zone = await loadZone(deps, ctx, domain);
    const record = zone.records.find((r) => r.id === recordId);
    if (record) return { domain, ...zone, record };
  }
  throw new AppError('not_found', 404, 'No such DNS record on this website.');
}

/** Changes a record: the fields given replace the record's, and the whole is checked again. */
export async function updateRecord(
  deps: SiteDeps,
  actor: Actor,
  serviceId: string,
  recordId: string,
  input: RecordInput & { domainId?: string | null },
): Promise<DnsRecord> {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const zone = await zoneWith(deps, ctx, recordId, input.domainId);
  const old = zone.record;
  const merged: RecordInput = {
    kind: input.kind ?? old.kind,
    name: input.name ?? old.name,
    value: input.value ?? old.value,
    ttl: input.ttl === undefined ? old.ttl : input.ttl,
  };
  const rec = validRecord(
    merged,
    zone.origin,
    zone.records.filter((r) => r.id !== recordId),
  );
  const kind = rec.kind as EnhanceDnsRecordKind;
  await panel(
    deps,
    () => ctx.client.updateDnsRecord(ctx.orgId, ctx.websiteId, zone.domain.id, recordId, { ...rec, kind }),
    'value',
  );
  await auditSite(
    deps.db,
    actor,
    ctx.row,
    'hosting.dns_record_updated',
    {
      zone: zone.origin,
      kind: rec.kind,
      name: rec.name,
      value: rec.value.slice(0, 200),
      ttl: rec.ttl,
      was: `${old.kind} ${old.name} ${old.value}`.slice(0, 200),
    },
    deps.clock.now(),
  );
  return { id: recordId, ...rec };
}

export async function deleteRecord(
  deps: SiteDeps,
  actor: Actor,
  serviceId: string,
  recordId: string,
  opts: { domainId?: string | null } = {},
): Promise<DnsRecord> {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const zone = await zoneWith(deps, ctx, recordId, opts.domainId);
  await panel(deps, () => ctx.client.deleteDnsRecord(ctx.orgId, ctx.websiteId, zone.domain.id, recordId));
  const r = zone.record;
  await auditSite(
    deps.db,
    actor,
    ctx.row,
    'hosting.dns_record_deleted',
    { zone: zone.origin, kind: r.kind, name: r.name, value: r.value.slice(0, 200) },
    deps.clock.now(),
  );
  return r;
}
