import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  createRecord,
  deleteRecord,
  RECORD_KINDS,
  updateRecord,
  zoneOf,
  type DnsRecord,
} from '../../../../domain/hosting/dns.ts';
import { changeNode, nodeSettings, type NodeSettings } from '../../../../domain/hosting/node.ts';
import {
  addDomain,
  DOMAIN_KINDS,
  listDomains,
  phpSettings,
  removeDomain,
  setPhpVersion,
  setPrimaryDomain,
  type SiteDomain,
} from '../../../../domain/hosting/site.ts';
import {
  requestLetsEncrypt,
  setForceHttps,
  sslOverview,
  uploadCertificate,
  type DomainSsl,
} from '../../../../domain/hosting/ssl.ts';
import { panelLoginUrl } from '../../../../domain/hosting/sso.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { errorResponses, json, pathParam, Timestamp } from '../schemas.ts';

/**
 * A hosting service's site as sub-resources (issue 17 item 8): domains, DNS records, SSL, PHP,
 * Node.js versions and the control panel sign-in. Reads need `hosting_view`, changes `hosting_manage`; another
 * organization's service is 404; a service without a website (provisioning, failed,
 * cancelled) or a suspended one asked to change is 409; the panel unreachable is 503.
 */

const tags = ['hosting'];
const Id = z.object({ id: pathParam('id', 'Hosting service id.') });
const FOREIGN = { 404: 'No such hosting service in the acting organization (another organization’s id is not found).' };
const NO_SITE = {
  409: 'The service has no website to work on (`hosting_no_website`: provisioning, failed or cancelled), or it is suspended (`hosting_suspended`).',
};
const UNAVAILABLE = { 503: 'The hosting platform could not be reached; nothing was changed.' };

const Domain = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    domain: z.string().openapi({ example: 'example.org' }),
    kind: z.string().openapi({ description: '`primary`, `alias`, `addon` or `subdomain`.' }),
    document_root: z.string(),
  })
  .openapi('HostingDomain');
const presentDomain = (d: SiteDomain) =>
  Domain.parse({ id: d.id, domain: d.domain, kind: d.kind, document_root: d.documentRoot });

const DnsRecordSchema = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ example: 'A' }),
    name: z.string().openapi({ example: 'www', description: '`@` is the zone itself.' }),
    value: z.string().openapi({ example: '203.0.113.10' }),
    ttl: z.number().int().nullable(),
  })
  .openapi('HostingDnsRecord');
const presentRecord = (r: DnsRecord) =>
  DnsRecordSchema.parse({ id: r.id, kind: r.kind, name: r.name, value: r.value, ttl: r.ttl });

const Ssl = z
  .object({
    domain_id: z.string().openapi({ format: 'uuid' }),
    domain: z.string(),
    state: z
      .enum(['none', 'pending', 'failed', 'active', 'expiring', 'expired'])
      .openapi({ description: '`pending` while a Let’s Encrypt request is being issued: poll this resource.' }),
    issuer: z.string().nullable(),
    issued_at: Timestamp.nullable(),
    expires_at: Timestamp.nullable(),
    force_https: z.boolean(),
    requested_at: Timestamp.nullable(),
  })
  .openapi('HostingSsl');
const iso = (v: string | Date | null | undefined) => {
  if (!v) return null;
  const d = typeof v === 'string' ? new Date(v) : v;
  return Number.isFinite(d.getTime()) ? d.toISOString() : null;
};
const presentSsl = (s: DomainSsl) =>
  Ssl.parse({
    domain_id: s.domain.id,
    domain: s.domain.domain,
    state: s.state,
    issuer: s.certificate?.issuer ?? null,
    issued_at: iso(s.certificate?.issued),
    expires_at: iso(s.certificate?.expires),
    force_https: s.forceHttps,
    requested_at: iso(s.requestedAt),
  });

export function hostingSiteRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const DomainId = Id.extend({ domain_id: pathParam('domain_id', 'Domain id (from the domains list).') });
  const RecordId = Id.extend({
    record_id: z.string().openapi({ param: { name: 'record_id', in: 'path' }, description: 'DNS record id.' }),
  });
  const ZoneQuery = z.object({
    domain_id: z
      .string()
      .optional()
      .openapi({ description: 'The zone: one of the website’s domains (default the primary domain’s).' }),
  });

  // Domains ---------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: '/hosting/services/{id}/domains',
      tags,
      operationId: 'listHostingDomains',
      summary: 'The website’s domains: primary, aliases, addon domains, subdomains (needs `hosting_view`)',
      ...secured,
      request: { params: Id },
      responses: {
        200: { description: 'Domains, the primary first.', ...json(z.object({ data: z.array(Domain) })) },
        ...errorResponses([401, 403, 404, 409, 429, 503], { ...FOREIGN, ...NO_SITE }),
      },
    }),
    async (c) => {
      const { domains } = await listDomains(deps, caller(c), c.req.valid('param').id);
      return c.json({ data: domains.map(presentDomain) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/hosting/services/{id}/domains',
      tags,
      operationId: 'addHostingDomain',
      summary: 'Add an alias, addon domain or subdomain to the website (needs `hosting_manage`)',
      ...secured,
      request: {
        params: Id,
        body: {
          required: true,
          ...json(z.object({ domain: z.string().max(253), kind: z.enum(DOMAIN_KINDS) })),
        },
      },
      responses: {
        201: { description: 'Added.', ...json(Domain) },
        ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
          ...FOREIGN,
          ...NO_SITE,
          ...UNAVAILABLE,
          422: 'Not a hostname, already on the website or elsewhere, a subdomain not below the website’s domains (`fields.domain`), or the plan allows no more (`hosting_quota`).',
        }),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const d = await addDomain(deps, caller(c), c.req.valid('param').id, { domain: b.domain, kind: b.kind });
      return c.json(presentDomain(d), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/hosting/services/{id}/domains/{domain_id}',
      tags,
      operationId: 'setHostingPrimaryDomain',
      summary: 'Make an alias or addon domain the website’s primary domain (needs `hosting_manage`)',
      ...secured,
      request: { params: DomainId, body: { required: true, ...json(z.object({ primary: z.literal(true) })) } },
      responses: {
        200: { description: 'The domain, now primary (the old primary stays as an alias).', ...json(Domain) },
        ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], { ...FOREIGN, ...NO_SITE, ...UNAVAILABLE }),
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(presentDomain(await setPrimaryDomain(deps, caller(c), p.id, p.domain_id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/hosting/services/{id}/domains/{domain_id}',
      tags,
      operationId: 'removeHostingDomain',
      summary: 'Remove an alias, addon domain or subdomain (needs `hosting_manage`; never the primary)',
      ...secured,
      request: { params: DomainId },
      responses: {
        204: { description: 'Removed.' },
        ...errorResponses([401, 403, 404, 409, 429, 503], {
          ...FOREIGN,
          409: 'The primary domain (`hosting_primary_domain`), or no website to work on.',
        }),
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      await removeDomain(deps, caller(c), p.id, p.domain_id);
      return c.body(null, 204);
    },
  );

  // DNS -------------------------------------------------------------------------------------
  const Kind = z.enum(RECORD_KINDS).openapi({ description: 'Record type.' });
  const Ttl = z.number().int().optional().openapi({ description: 'Seconds, 60 to 604800; default 3600.' });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/hosting/services/{id}/dns',
      tags,
      operationId: 'listHostingDnsRecords',
      summary: 'A DNS zone’s records (needs `hosting_view`)',
      ...secured,
      request: { params: Id, query: ZoneQuery },
      responses: {
        200: {
          description: 'The zone and its records.',
          ...json(
            z.object({
              domain_id: z.string(),
              origin: z.string(),
              zones: z.array(z.object({ domain_id: z.string(), domain: z.string() })),
              data: z.array(DnsRecordSchema),
            }),
          ),
        },
        ...errorResponses([401, 403, 404, 409, 422, 429, 503], { ...FOREIGN, ...NO_SITE }),
      },
    }),
    async (c) => {
      const z0 = await zoneOf(deps, caller(c), c.req.valid('param').id, c.req.valid('query').domain_id ?? null);
      return c.json(
        {
          domain_id: z0.domain.id,
          origin: z0.origin,
          zones: z0.domains.map((d) => ({ domain_id: d.id, domain: d.domain })),
          data: z0.records.map(presentRecord),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/hosting/services/{id}/dns',
      tags,
      operationId: 'createHostingDnsRecord',
      summary: 'Add a DNS record, checked for its type (needs `hosting_manage`)',
      description:
        'Values by type: A an IPv4 address; AAAA an IPv6 address; CNAME and NS a hostname; MX `priority host`; TXT text (SPF starting `v=spf1`) up to 2048 characters; SRV `priority weight port target` named `_service._proto`; CAA `flags tag value`.',
      ...secured,
      request: {
        params: Id,
        body: {
          required: true,
          ...json(
            z.object({
              kind: Kind,
              name: z.string().max(253),
              value: z.string().max(4096),
              ttl: Ttl,
              domain_id: z.string().optional(),
            }),
          ),
        },
      },
      responses: {
        201: { description: 'Added.', ...json(DnsRecordSchema) },
        ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
          ...FOREIGN,
          ...NO_SITE,
          ...UNAVAILABLE,
          422: 'A field does not fit the record type (`fields` names kind, name, value or ttl).',
        }),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const r = await createRecord(deps, caller(c), c.req.valid('param').id, {
        kind: b.kind,
        name: b.name,
        value: b.value,
        ttl: b.ttl,
        domainId: b.domain_id ?? null,
      });
      return c.json(presentRecord(r), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/hosting/services/{id}/dns/{record_id}',
      tags,
      operationId: 'updateHostingDnsRecord',
      summary:
        'Change a DNS record: the fields given replace its own, the whole is checked again (needs `hosting_manage`)',
      ...secured,
      request: {
        params: RecordId,
        body: {
          required: true,
          ...json(
            z.object({
              kind: Kind.optional(),
              name: z.string().max(253).optional(),
              value: z.string().max(4096).optional(),
              ttl: Ttl,
              domain_id: z.string().optional(),
            }),
          ),
        },
      },
      responses: {
        200: { description: 'Changed.', ...json(DnsRecordSchema) },
        ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], { ...FOREIGN, ...NO_SITE, ...UNAVAILABLE }),
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const b = c.req.valid('json');
      const r = await updateRecord(deps, caller(c), p.id, p.record_id, {
        kind: b.kind,
        name: b.name,
        value: b.value,
        ttl: b.ttl,
        domainId: b.domain_id ?? null,
      });
      return c.json(presentRecord(r), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/hosting/services/{id}/dns/{record_id}',
      tags,
      operationId: 'deleteHostingDnsRecord',
      summary: 'Delete a DNS record (needs `hosting_manage`)',
      ...secured,
      request: { params: RecordId, query: ZoneQuery },
      responses: {
        204: { description: 'Deleted.' },
        ...errorResponses([401, 403, 404, 409, 429, 503], { ...FOREIGN, ...NO_SITE, ...UNAVAILABLE }),
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      await deleteRecord(deps, caller(c), p.id, p.record_id, { domainId: c.req.valid('query').domain_id ?? null });
      return c.body(null, 204);
    },
  );

  // SSL -------------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: '/hosting/services/{id}/ssl',
      tags,
      operationId: 'listHostingSsl',
      summary:
        'Each domain’s certificate, expiry and HTTPS redirect (needs `hosting_view`); poll while one is `pending`',
      ...secured,
      request: { params: Id },
      responses: {
        200: {
          description: 'Certificates by domain; `pending` is true while a Let’s Encrypt request is being issued.',
          ...json(z.object({ data: z.array(Ssl), pending: z.boolean() })),
        },
        ...errorResponses([401, 403, 404, 409, 429, 503], { ...FOREIGN, ...NO_SITE }),
      },
    }),
    async (c) => {
      const o = await sslOverview(deps, caller(c), c.req.valid('param').id);
      return c.json({ data: o.domains.map(presentSsl), pending: o.pending }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/hosting/services/{id}/ssl',
      tags,
      operationId: 'installHostingSsl',
      summary: 'Request a Let’s Encrypt certificate, or upload one with its key (needs `hosting_manage`)',
      description:
        '`{"domain_id", "kind": "letsencrypt"}` answers 202: the certificate is issued asynchronously (poll GET …/ssl until its state leaves `pending`). `{"domain_id", "kind": "upload", "cert", "key"}` (PEM; the key not password protected, matching the certificate, which must cover the domain and be valid now) answers 201. The key is never stored.',
      ...secured,
      request: {
        params: Id,
        body: {
          required: true,
          ...json(
            z.object({
              domain_id: z.string(),
              kind: z.enum(['letsencrypt', 'upload']),
              cert: z.string().max(64_000).optional(),
              key: z.string().max(16_000).optional(),
            }),
          ),
        },
      },
      responses: {
        201: {
          description: 'Uploaded and installed.',
          ...json(z.object({ domain_id: z.string(), domain: z.string(), state: z.string() })),
        },
        202: {
          description: 'Requested: pending.',
          ...json(z.object({ domain_id: z.string(), domain: z.string(), state: z.string() })),
        },
        ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
          ...FOREIGN,
          ...NO_SITE,
          ...UNAVAILABLE,
          422: 'The certificate or key is refused (`fields.cert`, `fields.key`).',
        }),
      },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const b = c.req.valid('json');
      if (b.kind === 'letsencrypt') {
        const d = await requestLetsEncrypt(deps, caller(c), id, b.domain_id);
        return c.json({ domain_id: d.id, domain: d.domain, state: 'pending' }, 202);
      }
      const d = await uploadCertificate(deps, caller(c), id, {
        domainId: b.domain_id,
        cert: b.cert ?? '',
        key: b.key ?? '',
      });
      return c.json({ domain_id: d.id, domain: d.domain, state: 'active' }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/hosting/services/{id}/ssl/{domain_id}',
      tags,
      operationId: 'setHostingForceHttps',
      summary:
        'Turn the redirect of http:// to https:// on or off (needs `hosting_manage`; the domain needs a certificate)',
      ...secured,
      request: { params: DomainId, body: { required: true, ...json(z.object({ force_https: z.boolean() })) } },
      responses: {
        200: {
          description: 'Set.',
          ...json(z.object({ domain_id: z.string(), domain: z.string(), force_https: z.boolean() })),
        },
        ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
          ...FOREIGN,
          409: 'The domain has no certificate yet (`hosting_no_certificate`), or no website to work on.',
        }),
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const r = await setForceHttps(deps, caller(c), p.id, p.domain_id, c.req.valid('json').force_https);
      return c.json({ domain_id: r.domain.id, domain: r.domain.domain, force_https: r.forceHttps }, 200);
    },
  );

  // PHP -------------------------------------------------------------------------------------
  const Php = z
    .object({
      php_version: z.string().nullable().openapi({ example: 'php83' }),
      allowed: z.array(z.string()),
      default_version: z.string().nullable(),
    })
    .openapi('HostingPhp');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/hosting/services/{id}/php',
      tags,
      operationId: 'getHostingPhp',
      summary: 'The website’s PHP version and the plan’s allowed versions (needs `hosting_view`)',
      ...secured,
      request: { params: Id },
      responses: {
        200: { description: 'PHP settings.', ...json(Php) },
        ...errorResponses([401, 403, 404, 409, 429, 503], { ...FOREIGN, ...NO_SITE }),
      },
    }),
    async (c) => {
      const { php } = await phpSettings(deps, caller(c), c.req.valid('param').id);
      return c.json(
        Php.parse({ php_version: php.current, allowed: php.allowed, default_version: php.defaultVersion }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/hosting/services/{id}/php',
      tags,
      operationId: 'setHostingPhp',
      summary: 'Switch the website to one of the plan’s PHP versions (needs `hosting_manage`)',
      ...secured,
      request: { params: Id, body: { required: true, ...json(z.object({ php_version: z.string().max(16) })) } },
      responses: {
        200: { description: 'Switched.', ...json(z.object({ php_version: z.string() })) },
        ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
          ...FOREIGN,
          ...NO_SITE,
          422: 'Not one of the plan’s versions (`fields.php_version`).',
        }),
      },
    }),
    async (c) => {
      const v = await setPhpVersion(deps, caller(c), c.req.valid('param').id, c.req.valid('json').php_version);
      return c.json({ php_version: v }, 200);
    },
  );

  // Node.js ---------------------------------------------------------------------------------
  const Node = z
    .object({
      allowed: z.boolean().openapi({ description: 'Whether the plan includes Node.js applications.' }),
      possible: z.array(z.string()).openapi({ example: ['18', '20', '22'] }),
      installed: z.array(z.string()).openapi({ example: ['20'] }),
      default: z.string().nullable().openapi({ example: '20' }),
    })
    .openapi('HostingNode');
  const presentNode = (n: NodeSettings) =>
    Node.parse({ allowed: n.allowed, possible: n.possible, installed: n.installed, default: n.default });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/hosting/services/{id}/node',
      tags,
      operationId: 'getHostingNode',
      summary: 'The website’s Node.js versions: offered, installed, default (needs `hosting_view`)',
      description: 'When the plan does not include Node.js applications: `allowed: false` and empty lists.',
      ...secured,
      request: { params: Id },
      responses: {
        200: { description: 'Node.js versions.', ...json(Node) },
        ...errorResponses([401, 403, 404, 409, 429, 503], { ...FOREIGN, ...NO_SITE, ...UNAVAILABLE }),
      },
    }),
    async (c) => {
      const { node } = await nodeSettings(deps, caller(c), c.req.valid('param').id);
      return c.json(presentNode(node), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/hosting/services/{id}/node',
      tags,
      operationId: 'setHostingNode',
      summary: 'Install a Node.js version and/or set the default (needs `hosting_manage`)',
      description: '`install` runs first, so `{"install":"22","default":"22"}` installs and switches in one call.',
      ...secured,
      request: {
        params: Id,
        body: {
          required: true,
          ...json(
            z.object({
              install: z.string().max(16).optional().openapi({ example: '20' }),
              default: z.string().max(16).optional().openapi({ example: '20' }),
            }),
          ),
        },
      },
      responses: {
        200: { description: 'The Node.js versions now.', ...json(Node) },
        ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
          ...FOREIGN,
          409: 'No website to work on (`hosting_no_website`), suspended (`hosting_suspended`), or the plan does not include Node.js (`hosting_node_not_allowed`).',
          422: 'A version not offered (`fields.install`) or not installed (`fields.default`), or neither given.',
          ...UNAVAILABLE,
        }),
      },
    }),
    async (c) => {
      const node = await changeNode(deps, caller(c), c.req.valid('param').id, c.req.valid('json'));
      return c.json(presentNode(node), 200);
    },
  );

  // Control panel ---------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'post',
      path: '/hosting/services/{id}/sso',
      tags,
      operationId: 'hostingPanelLogin',
      summary: 'A single-use sign-in link to the hosting control panel (needs `hosting_manage`)',
      description:
        'Minted on each call, valid once and briefly: open it at once. It is never stored or logged by us; the answer is `Cache-Control: no-store`.',
      ...secured,
      request: { params: Id },
      responses: {
        200: {
          description: 'The link.',
          headers: { 'Cache-Control': { schema: { type: 'string' }, description: '`no-store`.' } },
          ...json(z.object({ url: z.string().url() })),
        },
        ...errorResponses([401, 403, 404, 409, 429, 503], { ...FOREIGN, ...NO_SITE, ...UNAVAILABLE }),
      },
    }),
    async (c) => {
      const url = await panelLoginUrl(deps, caller(c), c.req.valid('param').id);
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      return c.json({ url }, 200);
    },
  );

  return app;
}
