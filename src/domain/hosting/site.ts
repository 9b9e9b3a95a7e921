import { isIP } from 'node:net';
import type { DbOrTx } from '../../db/index.ts';
import { AppError, ConflictError, ValidationError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { EnhanceError, type EnhanceClient, type EnhanceDomainMapping } from '../../providers/enhance/index.ts';
import type { Actor } from '../access/actor.ts';
import { activityBy, recordActivity, type ActivityAction } from '../activity/record.ts';
import { hostingClient, type HostingDeps } from './connector.ts';
import { integrationRow, isConfigured } from './integration.ts';
import { serviceFor, siteOf, type ServiceRow } from './services.ts';

/**
 * A hosting service's website (issue 17 item 4, helper B): its domains (primary, aliases,
 * addon domains, subdomains), PHP version, and the context every site tab works in (dns.ts,
 * ssl.ts, sso.ts use `siteContext`).
 *
 * Every call finds the service through the actor's organization (`serviceFor`: another
 * organization's id is 404), needs hosting_view to read and hosting_manage to change, and needs
 * a website to work on: a service still provisioning, failed or cancelled answers 409, and a
 * suspended one may be read but not changed. The panel's refusals reach the customer in our
 * words (EnhanceError's white-label message, never the panel's name); each change is audited.
 */

export interface SiteDeps extends HostingDeps {
  log?: Pick<Logger, 'warn'>;
}

export interface SiteContext {
  row: ServiceRow;
  orgId: string;
  websiteId: string;
  client: EnhanceClient;
}

export const NO_WEBSITE: Record<string, string> = {
  provisioning: 'This hosting service is still being set up: its website can be managed once it is active.',
  failed: 'This hosting service could not be set up, so it has no website to manage.',
  cancelled: 'This hosting service is cancelled: its website is gone.',
};
export const SUSPENDED =
  'This hosting service is suspended, so its website cannot be changed. Add funds to your wallet to lift the suspension, or contact support.';

/**
 * The service `id` with its website and a client of its panel. `change`: the caller changes
 * something (hosting_manage, and not while suspended); otherwise hosting_view is enough.
 */
export async function siteContext(
  deps: SiteDeps,
  actor: Actor,
  id: string,
  opts: { change?: boolean } = {},
): Promise<SiteContext> {
  const row = await serviceFor(deps.db, actor, id, opts.change ? 'hosting_manage' : 'hosting_view');
  const site = siteOf(row);
  if (!site) throw new AppError('hosting_no_website', 409, NO_WEBSITE[row.status] ?? NO_WEBSITE.provisioning!);
  if (opts.change && row.status === 'suspended') throw new AppError('hosting_suspended', 409, SUSPENDED);
  return { row, ...site, client: await panelFor(deps, row) };
}

/** The client of the panel the service lives at (the one integration); 503 when it cannot be reached. */
export async function panelFor(deps: HostingDeps, row: Pick<ServiceRow, 'master_org_id'>): Promise<EnhanceClient> {
  const integration = await integrationRow(deps.db);
  if (!integration || !isConfigured(integration) || integration.master_org_id !== row.master_org_id)
    throw new AppError(
      'hosting_unavailable',
      503,
      'Web hosting cannot be managed right now; try again later or contact support.',
    );
  return hostingClient(deps, integration);
}

/** Quota refusals (403 with the plan resource as detail) in words a customer reads. */
const QUOTA_WORDS: Record<string, string> = {
  domainAliases: 'Your hosting plan allows no more domain aliases.',
  addonDomains: 'Your hosting plan allows no more addon domains.',
  subdomains: 'Your hosting plan allows no more subdomains.',
  dnsRecords: 'Your hosting plan allows no more DNS records.',
  mailboxes: 'Your hosting plan allows no more mailboxes.',
  mysqlDbs: 'Your hosting plan allows no more databases.',
  websites: 'Your hosting plan allows no more websites.',
};

/**
 * A panel failure as our error: input the panel refused → 422 (on `field` when given), a
 * quota → 422, a duplicate → 409, something gone → 404, the panel down or misconfigured → 503.
 * The message is EnhanceError's white-label one; staff words go to the log only.
 */
export function panelError(deps: SiteDeps, err: unknown, field?: string): unknown {
  if (!(err instanceof EnhanceError)) return err;
  deps.log?.warn({ err: err.adminMessage, kind: err.kind }, 'hosting panel refused a site call');
  const quota = err.kind === 'forbidden' && err.detail ? QUOTA_WORDS[err.detail] : undefined;
  if (quota) return new AppError('hosting_quota', 422, quota);
  switch (err.kind) {
    case 'validation':
      return field
        ? new ValidationError({ [field]: err.message }, err.message)
        : new AppError('hosting_refused', 422, err.message);
    case 'conflict':
      return new ConflictError(err.message);
    case 'not_found':
      return new AppError('not_found', 404, err.message);
    case 'forbidden':
      return err.detail === 'domain'
        ? field
          ? new ValidationError({ [field]: err.message }, err.message)
          : new AppError('hosting_refused', 422, err.message)
        : new AppError('hosting_unavailable', 503, err.message);
    default:
      return new AppError('hosting_unavailable', 503, err.message);
  }
}

/** Runs a panel call, turning its failure into ours (`panelError`). */
export async function panel<T>(deps: SiteDeps, call: () => Promise<T>, field?: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw panelError(deps, err, field);
  }
}

/** One audit entry for a change to the service's site. */
export async function auditSite(
  db: DbOrTx,
  actor: Actor,
  row: ServiceRow,
  action: ActivityAction,
  details: Record<string, string | number | boolean | null>,
  now: Date,
): Promise<void> {
  await recordActivity(
    db,
    activityBy(actor, action, {
      target: { type: 'hosting_service', id: row.id },
      details: { domain: row.domain, ...details },
      occurredAt: now,
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Hostnames

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A hostname in lower case without a trailing dot, or null when it is not one (at least two labels, a letter TLD). */
export function normalHostname(input: string): string | null {
  const h = input.trim().toLowerCase().replace(/\.$/, '');
  if (!h || h.length > 253 || isIP(h)) return null;
  const labels = h.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(labels[labels.length - 1]!)) return null;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Domains

export const DOMAIN_KINDS = ['alias', 'addon', 'subdomain'] as const;
export type AddedDomainKind = (typeof DOMAIN_KINDS)[number];

export const DOMAIN_KIND_LABELS: Record<string, string> = {
  primary: 'Primary',
  alias: 'Alias',
  addon: 'Addon domain',
  subdomain: 'Subdomain',
  preview: 'Preview',
};

export interface SiteDomain {
  id: string;
  domain: string;
  kind: string;
  documentRoot: string;
}

const KIND_ORDER = ['primary', 'alias', 'addon', 'subdomain', 'preview'];

function toDomain(m: EnhanceDomainMapping): SiteDomain {
  return { id: m.domainId, domain: m.domain, kind: m.mappingKind, documentRoot: m.documentRoot };
}

/** The website's domains: the primary first, then aliases, addon domains, subdomains (each alphabetical). */
export async function domainsOf(deps: SiteDeps, ctx: SiteContext): Promise<SiteDomain[]> {
  const list = await panel(deps, () => ctx.client.listWebsiteDomains(ctx.orgId, ctx.websiteId));
  const rank = (k: string) => (KIND_ORDER.includes(k) ? KIND_ORDER.indexOf(k) : KIND_ORDER.length);
  return list.map(toDomain).sort((a, b) => rank(a.kind) - rank(b.kind) || a.domain.localeCompare(b.domain));
}

export async function listDomains(deps: SiteDeps, actor: Actor, serviceId: string) {
  const ctx = await siteContext(deps, actor, serviceId);
  return { service: ctx.row, domains: await domainsOf(deps, ctx) };
}

/** One of the website's domains by id (404 when it has none such). */
export function domainById(domains: SiteDomain[], domainId: string): SiteDomain {
  const d = domains.find((x) => x.id === domainId);
  if (!d) throw new AppError('not_found', 404, 'No such domain on this website.');
  return d;
}

/**
 * Adds an alias (the same site under another name), an addon domain (another site in its own
 * folder) or a subdomain (below one of the website's domains). The name is checked here first
 * (a hostname; a subdomain below one of the site's domains; not already on it), then with the
 * panel's domain check for a clear reason, then added; the plan's quota is the panel's to enforce.
 */
export async function addDomain(
  deps: SiteDeps,
  actor: Actor,
  serviceId: string,
  input: { domain: string; kind: string },
): Promise<SiteDomain> {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const kind = input.kind as AddedDomainKind;
  const fields: Record<string, string> = {};
  if (!DOMAIN_KINDS.includes(kind)) fields.kind = 'Choose alias, addon domain or subdomain.';
  const domain = normalHostname(input.domain ?? '');
  if (!domain) fields.domain = 'Enter a domain name such as example.com (letters, digits and hyphens).';
  if (Object.keys(fields).length) throw new ValidationError(fields);
  const existing = await domainsOf(deps, ctx);
  if (existing.some((d) => d.domain === domain))
    throw new ValidationError({ domain: `${domain} is already on this website.` });
  if (kind === 'subdomain' && !existing.some((d) => domain!.endsWith(`.${d.domain}`)))
    throw new ValidationError({
      domain: `A subdomain must be below one of this website’s domains, such as blog.${ctx.row.domain}.`,
    });
  if (kind !== 'subdomain' && existing.some((d) => domain!.endsWith(`.${d.domain}`)))
    throw new ValidationError({ domain: `${domain} is below one of this website’s domains: add it as a subdomain.` });
  const check = await panel(deps, () => ctx.client.checkDomain(ctx.orgId, domain!), 'domain');
  const refusal = CHECK_WORDS[check.status];
  if (refusal) throw new ValidationError({ domain: refusal(domain!) });
  const id = await panel(
    deps,
    () => ctx.client.addWebsiteDomain(ctx.orgId, ctx.websiteId, { domain: domain!, kind }),
    'domain',
  );
  await auditSite(deps.db, actor, ctx.row, 'hosting.domain_added', { added: domain!, kind }, deps.clock.now());
  return { id, domain: domain!, kind, documentRoot: '' };
}

const CHECK_WORDS: Record<string, ((d: string) => string) | undefined> = {
  prohibited: (d) => `${d} cannot be hosted here.`,
  inUseCurrentOrg: (d) => `${d} is already on one of your websites.`,
  inUseAnotherOrg: (d) => `${d} is already hosted by another account.`,
  inUseDeletedSite: (d) => `${d} still belongs to a deleted website; contact support to release it.`,
};

/** Removes an alias, addon domain or subdomain (never the primary: make another one primary first). */
export async function removeDomain(deps: SiteDeps, actor: Actor, serviceId: string, domainId: string) {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const d = domainById(await domainsOf(deps, ctx), domainId);
  if (d.kind === 'primary')
    throw new AppError(
      'hosting_primary_domain',
      409,
      'The primary domain cannot be removed: make another domain primary first.',
    );
  await panel(deps, () => ctx.client.deleteWebsiteDomain(ctx.orgId, ctx.websiteId, d.id));
  await auditSite(
    deps.db,
    actor,
    ctx.row,
    'hosting.domain_removed',
    { removed: d.domain, kind: d.kind },
    deps.clock.now(),
  );
  return d;
}

/**
 * Makes an alias or addon domain the website's primary (the old one stays as an alias); the
 * service is known by its primary domain from then on.
 */
export async function setPrimaryDomain(deps: SiteDeps, actor: Actor, serviceId: string, domainId: string) {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const d = domainById(await domainsOf(deps, ctx), domainId);
  if (d.kind === 'primary') return d;
  if (d.kind === 'subdomain')
    throw new ValidationError(
      { domain_id: 'A subdomain cannot be the primary domain.' },
      'A subdomain cannot be the primary domain.',
    );
  await panel(deps, () => ctx.client.setPrimaryDomain(ctx.orgId, ctx.websiteId, d.id), 'domain_id');
  const now = deps.clock.now();
  await deps.db
    .updateTable('hosting_services')
    .set({ domain: d.domain, updated_at: now })
    .where('id', '=', ctx.row.id)
    .execute();
  await auditSite(
    deps.db,
    actor,
    ctx.row,
    'hosting.primary_domain_set',
    { primary: d.domain, previous: ctx.row.domain },
    now,
  );
  return { ...d, kind: 'primary' };
}

// ---------------------------------------------------------------------------------------------
// PHP

export interface PhpSettings {
  current: string | null;
  allowed: string[];
  defaultVersion: string | null;
}

/** "php83" → "PHP 8.3". */
export function phpLabel(v: string): string {
  const m = /^php(\d)(\d)$/.exec(v);
  return m ? `PHP ${m[1]}.${m[2]}` : v;
}

async function planPhp(db: DbOrTx, planId: string) {
  return db
    .selectFrom('hosting_plans')
    .select(['php_versions', 'default_php_version'])
    .where('id', '=', planId)
    .executeTakeFirst();
}

/** The website's PHP version (from the panel, else the one we stored) and the plan's allowed versions. */
export async function phpSettings(deps: SiteDeps, actor: Actor, serviceId: string) {
  const ctx = await siteContext(deps, actor, serviceId);
  const [plan, site] = await Promise.all([
    planPhp(deps.db, ctx.row.plan_id),
    panel(deps, () => ctx.client.getWebsite(ctx.orgId, ctx.websiteId)),
  ]);
  const settings: PhpSettings = {
    current: site.phpVersion ?? ctx.row.php_version,
    allowed: [...(plan?.php_versions ?? [])].sort().reverse(),
    defaultVersion: plan?.default_php_version ?? null,
  };
  return { service: ctx.row, php: settings };
}

/** Switches the website to one of the plan's PHP versions; stored on the service too. */
export async function setPhpVersion(deps: SiteDeps, actor: Actor, serviceId: string, version: string) {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const plan = await planPhp(deps.db, ctx.row.plan_id);
  const allowed = plan?.php_versions ?? [];
  if (typeof version !== 'string' || !allowed.includes(version))
    throw new ValidationError({
      php_version: allowed.length
        ? `Choose one of your plan’s PHP versions: ${allowed.map(phpLabel).join(', ')}.`
        : 'Your plan does not offer a choice of PHP version.',
    });
  await panel(deps, () => ctx.client.updateWebsite(ctx.orgId, ctx.websiteId, { phpVersion: version }), 'php_version');
  const now = deps.clock.now();
  await deps.db
    .updateTable('hosting_services')
    .set({ php_version: version, updated_at: now })
    .where('id', '=', ctx.row.id)
    .execute();
  await auditSite(
    deps.db,
    actor,
    ctx.row,
    'hosting.php_version_set',
    { php_version: version, previous: ctx.row.php_version },
    now,
  );
  return version;
}
