import type { Hono } from 'hono';
import { invalid, notFound, routesAt, type Call } from './http.ts';
import type { EmuDomain, EmuWebsite, EnhanceEmulatorState } from './state.ts';

/**
 * Spec §4.3 (v2 per-domain SSL): Let's Encrypt issuance is asynchronous — `POST …/letsencrypt`
 * answers 201 at once and the certificate appears after `jobMs` (or at `finishJobs()`), unless
 * armed to fail; an uploaded certificate (PEM `cert` and `key`) is there at once; force HTTPS
 * takes a bare JSON boolean. `GET …/ssl` answers 404 while a domain has no certificate.
 */

interface EmuCert {
  issuer: string;
  issued: string;
  expires: string;
  pendingUntil: number | null;
  fails: boolean;
  forceHttps: boolean;
}

const PEM_CERT = /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/;
const PEM_KEY = /^-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----\s*$/;
const DAY = 86_400_000;

export function sslRoutes(app: Hono, state: EnhanceEmulatorState): void {
  const r = routesAt(app, state, '/api/v2/domains/:domain');

  r('post', '/letsencrypt', (call) => {
    const { site, domain } = domainOf(state, call);
    const fails = state.failJobs > 0;
    if (fails) state.failJobs -= 1;
    const now = Date.now();
    const previous = certOf(site, domain);
    site.extras.certificates.set(domain.id, {
      issuer: "Let's Encrypt",
      issued: new Date(now).toISOString(),
      expires: new Date(now + 90 * DAY).toISOString(),
      pendingUntil: now + state.options.jobMs,
      fails,
      forceHttps: previous?.forceHttps ?? false,
    } satisfies EmuCert as unknown as Record<string, unknown>);
    return { status: 201 };
  });

  r('get', '/ssl', (call) => {
    const { site, domain } = domainOf(state, call);
    const cert = settledCert(site, domain);
    if (!cert) throw notFound('certificate');
    return {
      body: {
        cn: domain.domain,
        expires: cert.expires,
        issued: cert.issued,
        issuer: cert.issuer,
        sans: [domain.domain, `www.${domain.domain}`],
        cert: '-----BEGIN CERTIFICATE-----\nMIIemulated\n-----END CERTIFICATE-----\n',
        key: '-----BEGIN PRIVATE KEY-----\nMIIemulated\n-----END PRIVATE KEY-----\n',
        forceHttps: cert.forceHttps,
      },
    };
  });

  r('post', '/ssl', (call) => {
    const { site, domain } = domainOf(state, call);
    const { cert, key } = call.body;
    if (typeof cert !== 'string' || !PEM_CERT.test(cert.trim())) throw invalid('cert');
    if (typeof key !== 'string' || !PEM_KEY.test(key.trim())) throw invalid('key');
    const now = Date.now();
    site.extras.certificates.set(domain.id, {
      issuer: 'Uploaded',
      issued: new Date(now).toISOString(),
      expires: new Date(now + 365 * DAY).toISOString(),
      pendingUntil: null,
      fails: false,
      forceHttps: certOf(site, domain)?.forceHttps ?? false,
    } satisfies EmuCert as unknown as Record<string, unknown>);
    return { status: 201 };
  });

  r('put', '/ssl/force_ssl', (call) => {
    const { site, domain } = domainOf(state, call);
    if (typeof call.json !== 'boolean') throw invalid('body', 'Expected true or false');
    const cert = settledCert(site, domain);
    if (!cert) throw notFound('certificate');
    cert.forceHttps = call.json;
    return { status: 200 };
  });
}

/** The domain (by uuid) across websites the token may act on. */
function domainOf(state: EnhanceEmulatorState, call: Call): { site: EmuWebsite; domain: EmuDomain } {
  const id = call.param('domain');
  for (const site of state.websites.values()) {
    const domain = site.domains.find((d) => d.id === id);
    if (domain) {
      call.org(site.orgId);
      return { site, domain };
    }
  }
  throw notFound('domain');
}

const certOf = (site: EmuWebsite, d: EmuDomain) => site.extras.certificates.get(d.id) as unknown as EmuCert | undefined;

/** The certificate, once issued; a failed issuance leaves none. */
function settledCert(site: EmuWebsite, d: EmuDomain, force = false): EmuCert | null {
  const cert = certOf(site, d);
  if (!cert) return null;
  if (cert.pendingUntil !== null && (force || Date.now() >= cert.pendingUntil)) {
    if (cert.fails) {
      site.extras.certificates.delete(d.id);
      return null;
    }
    cert.pendingUntil = null;
  }
  return cert.pendingUntil === null ? cert : null;
}

/** Ends every pending issuance of the website now. */
export function settleCertificates(site: EmuWebsite): EmuWebsite {
  for (const d of site.domains) settledCert(site, d, true);
  return site;
}
