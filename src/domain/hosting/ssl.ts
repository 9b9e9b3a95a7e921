import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import { AppError, ValidationError } from '../../lib/errors.ts';
import type { EnhanceCertificate } from '../../providers/enhance/index.ts';
import type { Actor } from '../access/actor.ts';
import {
  auditSite,
  domainById,
  domainsOf,
  panel,
  siteContext,
  type SiteContext,
  type SiteDeps,
  type SiteDomain,
} from './site.ts';

/**
 * SSL for a hosting service's domains (issue 17 item 4): each domain's certificate (issuer,
 * expiry), a Let's Encrypt certificate requested (the panel issues it asynchronously and says
 * nothing when done: the request is kept in hosting_ssl_requests, migration 0043, and every
 * read of the tab or the API asks the panel again until a certificate issued after the request
 * is there, or ISSUE_WAIT_MS has passed: then it shows as failed), a certificate uploaded with
 * its private key (both PEM, checked here: they match, it covers the domain, it has not
 * expired), and the HTTPS redirect. The key is sent to the panel and nowhere else: never
 * stored, logged or audited.
 */

export type CertificateState = 'none' | 'pending' | 'failed' | 'active' | 'expiring' | 'expired';

export const CERTIFICATE_STATE_LABELS: Record<CertificateState, string> = {
  none: 'No certificate',
  pending: 'Issuing…',
  failed: 'Not issued',
  active: 'Active',
  expiring: 'Expires soon',
  expired: 'Expired',
};

/** How long a Let's Encrypt request may take before it is shown as failed. */
export const ISSUE_WAIT_MS = 10 * 60_000;
/** A certificate issued this long before the request still counts as its answer (clocks differ). */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Expiring soon: within this. */
export const EXPIRING_MS = 14 * 86_400_000;
const CERT_MAX = 64_000;
const KEY_MAX = 16_000;

export interface DomainSsl {
  domain: SiteDomain;
  state: CertificateState;
  certificate: (Omit<EnhanceCertificate, 'sans'> & { sans: string[] }) | null;
  forceHttps: boolean;
  requestedAt: Date | null;
}

interface RequestRow {
  domain_id: string;
  requested_at: Date;
}

async function requestsOf(deps: SiteDeps, serviceId: string): Promise<RequestRow[]> {
  const { rows } = await sql<RequestRow>`
    select domain_id, requested_at from hosting_ssl_requests where service_id = ${serviceId}
  `.execute(deps.db);
  return rows;
}

function settledBy(cert: EnhanceCertificate | null, requestedAt: Date): boolean {
  if (!cert) return false;
  const issued = cert.issued ? Date.parse(cert.issued) : NaN;
  return Number.isFinite(issued) && issued >= requestedAt.getTime() - CLOCK_SKEW_MS;
}

function stateOf(cert: EnhanceCertificate | null, now: Date): CertificateState {
  if (!cert) return 'none';
  const expires = cert.expires ? Date.parse(cert.expires) : NaN;
  if (!Number.isFinite(expires)) return 'active';
  if (expires <= now.getTime()) return 'expired';
  return expires - now.getTime() <= EXPIRING_MS ? 'expiring' : 'active';
}

/** Every domain's certificate, reading the panel afresh (this is the poll); settled requests are forgotten. */
async function sslIn(deps: SiteDeps, ctx: SiteContext): Promise<DomainSsl[]> {
  const domains = (await domainsOf(deps, ctx)).filter((d) => d.kind !== 'preview');
  const [certs, requests] = await Promise.all([
    Promise.all(domains.map((d) => panel(deps, () => ctx.client.getCertificate(d.id)))),
    requestsOf(deps, ctx.row.id),
  ]);
  const now = deps.clock.now();
  const settled: string[] = [];
  const out = domains.map((domain, i): DomainSsl => {
    const cert = certs[i] ?? null;
    const request = requests.find((r) => r.domain_id === domain.id) ?? null;
    let state = stateOf(cert, now);
    if (request) {
      if (settledBy(cert, request.requested_at)) settled.push(domain.id);
      else state = now.getTime() - request.requested_at.getTime() > ISSUE_WAIT_MS ? 'failed' : 'pending';
    }
    return {
      domain,
      state,
      certificate: cert,
      forceHttps: cert?.forceHttps ?? false,
      requestedAt: request && !settled.includes(domain.id) ? request.requested_at : null,
    };
  });
  if (settled.length)
    await sql`
      delete from hosting_ssl_requests where service_id = ${ctx.row.id} and domain_id = any(${settled}::uuid[])
    `.execute(deps.db);
  return out;
}

export async function sslOverview(deps: SiteDeps, actor: Actor, serviceId: string) {
  const ctx = await siteContext(deps, actor, serviceId);
  const domains = await sslIn(deps, ctx);
  return { service: ctx.row, domains, pending: domains.some((d) => d.state === 'pending') };
}

/** Asks the panel for a Let's Encrypt certificate for one of the website's domains; it arrives later (poll `sslOverview`). */
export async function requestLetsEncrypt(deps: SiteDeps, actor: Actor, serviceId: string, domainId: string) {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const domain = domainById(await domainsOf(deps, ctx), domainId);
  await panel(deps, () => ctx.client.issueLetsEncrypt(domain.id), 'domain_id');
  const now = deps.clock.now();
  await sql`
    insert into hosting_ssl_requests (service_id, domain_id, domain, requested_at, requested_by)
    values (${ctx.row.id}, ${domain.id}, ${domain.domain}, ${now}, ${actor.userId})
    on conflict (service_id, domain_id)
    do update set requested_at = excluded.requested_at, requested_by = excluded.requested_by, domain = excluded.domain
  `.execute(deps.db);
  await auditSite(deps.db, actor, ctx.row, 'hosting.ssl_requested', { for: domain.domain }, now);
  return domain;
}

/**
 * The uploaded certificate (PEM, optionally followed by its chain) and private key (PEM, not
 * password protected) checked: both readable, the key the certificate's, the certificate valid
 * now and covering the domain. Field errors on `cert` and `key`.
 */
export function checkCertificate(input: { cert: string; key: string }, domain: string, now: Date) {
  const cert = (input.cert ?? '').trim();
  const key = (input.key ?? '').trim();
  const fields: Record<string, string> = {};
  let x509: X509Certificate | null = null;
  let pkey: KeyObject | null = null;
  if (!cert) fields.cert = 'Paste the certificate (PEM, starting -----BEGIN CERTIFICATE-----).';
  else if (cert.length > CERT_MAX) fields.cert = 'That is too long for a certificate and its chain.';
  else if (!/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(cert))
    fields.cert = 'The certificate must be PEM: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----.';
  else
    try {
      x509 = new X509Certificate(cert);
    } catch {
      fields.cert = 'That certificate cannot be read: paste the whole PEM block.';
    }
  if (!key) fields.key = 'Paste the private key (PEM, starting -----BEGIN PRIVATE KEY-----).';
  else if (key.length > KEY_MAX) fields.key = 'That is too long for a private key.';
  else if (/ENCRYPTED/.test(key)) fields.key = 'The private key is password protected: paste it without a password.';
  else if (!/^-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----$/.test(key))
    fields.key = 'The private key must be PEM: -----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----.';
  else
    try {
      pkey = createPrivateKey(key);
    } catch {
      fields.key = 'That private key cannot be read: paste the whole PEM block.';
    }
  if (x509 && pkey && !x509.checkPrivateKey(pkey)) fields.key = 'This private key does not belong to the certificate.';
  if (x509 && !fields.cert) {
    if (Date.parse(x509.validTo) <= now.getTime()) fields.cert = `The certificate expired on ${x509.validTo}.`;
    else if (Date.parse(x509.validFrom) > now.getTime() + 86_400_000)
      fields.cert = `The certificate is not valid until ${x509.validFrom}.`;
    else if (!x509.checkHost(domain)) fields.cert = `The certificate does not cover ${domain}.`;
  }
  if (Object.keys(fields).length) throw new ValidationError(fields);
  return { cert, key, expires: new Date(x509!.validTo) };
}

export async function uploadCertificate(
  deps: SiteDeps,
  actor: Actor,
  serviceId: string,
  input: { domainId: string; cert: string; key: string },
) {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const domain = domainById(await domainsOf(deps, ctx), input.domainId);
  const now = deps.clock.now();
  const pem = checkCertificate(input, domain.domain, now);
  await panel(deps, () => ctx.client.uploadCertificate(domain.id, { cert: pem.cert, key: pem.key }), 'cert');
  await sql`delete from hosting_ssl_requests where service_id = ${ctx.row.id} and domain_id = ${domain.id}`.execute(
    deps.db,
  );
  await auditSite(
    deps.db,
    actor,
    ctx.row,
    'hosting.ssl_uploaded',
    { for: domain.domain, expires: pem.expires.toISOString() },
    now,
  );
  return domain;
}

/** Turns the redirect of http:// to https:// on or off for a domain that has a certificate (409 otherwise). */
export async function setForceHttps(deps: SiteDeps, actor: Actor, serviceId: string, domainId: string, on: boolean) {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const domain = domainById(await domainsOf(deps, ctx), domainId);
  const cert = await panel(deps, () => ctx.client.getCertificate(domain.id));
  if (!cert)
    throw new AppError(
      'hosting_no_certificate',
      409,
      `${domain.domain} has no certificate yet: issue or upload one before redirecting to HTTPS.`,
    );
  await panel(deps, () => ctx.client.setForceHttps(domain.id, on));
  await auditSite(deps.db, actor, ctx.row, 'hosting.force_https_set', { for: domain.domain, on }, deps.clock.now());
  return { domain, forceHttps: on };
}
