import { Hono, type Context } from 'hono';
import { can, type Actor } from '../../../../domain/access/actor.ts';
import {
  createRecord,
  deleteRecord,
  RECORD_KINDS,
  TTL_DEFAULT,
  updateRecord,
  VALUE_HINTS,
  zoneOf,
} from '../../../../domain/hosting/dns.ts';
import { changeNode, nodeLabel, nodeSettings } from '../../../../domain/hosting/node.ts';
import {
  addDomain,
  DOMAIN_KIND_LABELS,
  listDomains,
  phpLabel,
  phpSettings,
  removeDomain,
  setPhpVersion,
  setPrimaryDomain,
} from '../../../../domain/hosting/site.ts';
import {
  CERTIFICATE_STATE_LABELS,
  requestLetsEncrypt,
  setForceHttps,
  sslOverview,
  uploadCertificate,
} from '../../../../domain/hosting/ssl.ts';
import { panelLoginUrl } from '../../../../domain/hosting/sso.ts';
import { AppError } from '../../../../lib/errors.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

/**
 * The site tabs of a hosting service (issue 17 item 4), each a page under /hosting/:id:
 *
 *   /domains   the website's domains; add an alias, addon domain or subdomain; remove; make primary
 *   /dns       a zone's records (choose the domain), added, changed, deleted, checked per kind
 *   /ssl       each domain's certificate and expiry; Let's Encrypt (live progress: the table
 *              polls itself every few seconds while a request is pending); upload; HTTPS redirect
 *   /php       the PHP version, from the plan's list; Node.js versions (install, default) where
 *              the plan allows them (POST /node/install, /node/default)
 *   POST /sso  the control panel: 303 to a single-use login link minted just then
 *
 * Reads need hosting_view, forms hosting_manage (the domain asks; forms are shown with the same
 * `can`). A refusal shows the tab again with its messages (422; 409 and 503 keep theirs).
 */

export type SiteTab = 'domains' | 'dns' | 'ssl' | 'php';

const TITLES: Record<SiteTab, string> = { domains: 'Domains', dns: 'DNS', ssl: 'SSL', php: 'PHP' };

interface Extra {
  form?: string;
  errors?: Record<string, string>;
  values?: Record<string, string>;
  message?: string;
}

async function tabData(deps: AppDeps, c: Context, actor: Actor, tab: SiteTab) {
  const id = c.req.param('id')!;
  if (tab === 'domains') return listDomains(deps, actor, id);
  if (tab === 'dns') {
    const zone = await zoneOf(deps, actor, id, c.req.query('domain') || null);
    const edit = c.req.query('edit') ?? '';
    return { ...zone, editing: zone.records.find((r) => r.id === edit) ?? null };
  }
  if (tab === 'ssl') return sslOverview(deps, actor, id);
  const php = await phpSettings(deps, actor, id);
  // The panel not answering about Node.js leaves the PHP part usable (node: null says so).
  const node = await nodeSettings(deps, actor, id).then(
    (r) => r.node,
    (err: unknown) => {
      if (err instanceof AppError && err.status === 503) return null;
      throw err;
    },
  );
  return { ...php, node };
}

type Status = 200 | 409 | 422 | 503;

async function render(
  deps: AppDeps,
  view: Renderer,
  c: Context,
  tab: SiteTab,
  extra: Extra = {},
  status: Status = 200,
) {
  const actor = actorOf(c);
  const data = await tabData(deps, c, actor, tab);
  return view.page(
    c,
    `portal/hosting/${tab}`,
    {
      ...data,
      // The shared tab bar (_tabs.eta) reads the service's view fields.
      service: { ...data.service, cancelAtPeriodEnd: data.service.cancel_at_period_end },
      tab,
      active: tab,
      mayManage: can(actor, 'hosting_manage') && data.service.status === 'active',
      kindLabels: DOMAIN_KIND_LABELS,
      recordKinds: RECORD_KINDS,
      valueHints: VALUE_HINTS,
      ttlDefault: TTL_DEFAULT,
      stateLabels: CERTIFICATE_STATE_LABELS,
      phpLabel,
      nodeLabel,
      form: extra.form ?? '',
      errors: extra.errors ?? {},
      values: extra.values ?? {},
      message: extra.message ?? '',
    },
    { layout: 'portal', title: `${TITLES[tab]} · ${data.service.domain}`, status },
  );
}

const statusOf = (err: AppError): Status => (err.status === 409 || err.status === 503 ? err.status : 422);

/** Runs a tab's form; success goes back to `back` (the tab) with a notice, a refusal shows the tab again. */
function perform(
  deps: AppDeps,
  view: Renderer,
  c: Context,
  tab: SiteTab,
  form: string,
  values: Record<string, string>,
  action: (actor: Actor, id: string) => Promise<string>,
  back?: string,
) {
  const id = c.req.param('id')!;
  return orFail(
    async () => {
      const notice = await action(actorOf(c), id);
      flash(c, notice);
      return redirect(c, back ?? `/hosting/${id}/${tab}`);
    },
    (err) => {
      // Never a private key back into the page.
      const safe = Object.fromEntries(Object.entries(values).filter(([k]) => k !== 'key'));
      return render(
        deps,
        view,
        c,
        tab,
        { form, errors: err.fields ?? {}, values: safe, message: err.message },
        statusOf(err),
      );
    },
  );
}

export function siteTabPages(deps: AppDeps, view: Renderer): Hono {
  const app = new Hono();

  for (const tab of ['domains', 'dns', 'ssl', 'php'] as const)
    app.get(`/:id/${tab}`, (c) => render(deps, view, c, tab));

  // Domains --------------------------------------------------------------------------------
  app.post('/:id/domains', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'domains', 'add', v, async (actor, id) => {
      const d = await addDomain(deps, actor, id, { domain: v.domain ?? '', kind: v.kind ?? '' });
      return `${d.domain} was added as ${(DOMAIN_KIND_LABELS[d.kind] ?? d.kind).toLowerCase()}.`;
    });
  });

  app.post('/:id/domains/primary', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'domains', 'primary', v, async (actor, id) => {
      const d = await setPrimaryDomain(deps, actor, id, v.domain_id ?? '');
      return `${d.domain} is now the primary domain.`;
    });
  });

  app.post('/:id/domains/:domainId/deletion', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'domains', `remove:${c.req.param('domainId')}`, v, async (actor, id) => {
      const d = await removeDomain(deps, actor, id, c.req.param('domainId'));
      return `${d.domain} was removed from the website.`;
    });
  });

  // DNS ------------------------------------------------------------------------------------
  const zoneUrl = (id: string, domainId: string | undefined) =>
    `/hosting/${id}/dns${domainId ? `?domain=${encodeURIComponent(domainId)}` : ''}`;

  app.post('/:id/dns', async (c) => {
    const v = await formData(c);
    return perform(
      deps,
      view,
      c,
      'dns',
      'add',
      v,
      async (actor, id) => {
        const r = await createRecord(deps, actor, id, { ...v, domainId: v.domain_id || null });
        return `The ${r.kind} record ${r.name} was added.`;
      },
      zoneUrl(c.req.param('id'), v.domain_id),
    );
  });

  app.post('/:id/dns/:recordId', async (c) => {
    const v = await formData(c);
    return perform(
      deps,
      view,
      c,
      'dns',
      `edit:${c.req.param('recordId')}`,
      v,
      async (actor, id) => {
        const r = await updateRecord(deps, actor, id, c.req.param('recordId'), {
          kind: v.kind,
          name: v.name,
          value: v.value,
          ttl: v.ttl,
          domainId: v.domain_id || null,
        });
        return `The ${r.kind} record ${r.name} was changed.`;
      },
      zoneUrl(c.req.param('id'), v.domain_id),
    );
  });

  app.post('/:id/dns/:recordId/deletion', async (c) => {
    const v = await formData(c);
    return perform(
      deps,
      view,
      c,
      'dns',
      `delete:${c.req.param('recordId')}`,
      v,
      async (actor, id) => {
        const r = await deleteRecord(deps, actor, id, c.req.param('recordId'), { domainId: v.domain_id || null });
        return `The ${r.kind} record ${r.name} was deleted.`;
      },
      zoneUrl(c.req.param('id'), v.domain_id),
    );
  });

  // SSL ------------------------------------------------------------------------------------
  // The certificates table alone: it polls this while a Let's Encrypt request is pending.
  app.get('/:id/ssl/progress', async (c) => {
    const actor = actorOf(c);
    const data = await sslOverview(deps, actor, c.req.param('id'));
    return view.partial(c, 'portal/hosting/_ssl_certificates', {
      ...data,
      mayManage: can(actor, 'hosting_manage') && data.service.status === 'active',
      stateLabels: CERTIFICATE_STATE_LABELS,
    });
  });

  app.post('/:id/ssl/letsencrypt', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'ssl', `letsencrypt:${v.domain_id ?? ''}`, v, async (actor, id) => {
      const d = await requestLetsEncrypt(deps, actor, id, v.domain_id ?? '');
      return `A Let's Encrypt certificate was requested for ${d.domain}: it usually takes a minute.`;
    });
  });

  app.post('/:id/ssl/upload', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'ssl', 'upload', v, async (actor, id) => {
      const d = await uploadCertificate(deps, actor, id, {
        domainId: v.domain_id ?? '',
        cert: v.cert ?? '',
        key: v.key ?? '',
      });
      return `The certificate for ${d.domain} was installed.`;
    });
  });

  app.post('/:id/ssl/:domainId/https', async (c) => {
    const v = await formData(c);
    const on = v.force_https === 'on' || v.force_https === 'true';
    return perform(deps, view, c, 'ssl', `https:${c.req.param('domainId')}`, v, async (actor, id) => {
      const r = await setForceHttps(deps, actor, id, c.req.param('domainId'), on);
      return on
        ? `Visitors to http://${r.domain.domain} are now sent to https://.`
        : `http://${r.domain.domain} is no longer redirected to https://.`;
    });
  });

  // PHP ------------------------------------------------------------------------------------
  app.post('/:id/php', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'php', 'php', v, async (actor, id) => {
      const version = await setPhpVersion(deps, actor, id, v.php_version ?? '');
      return `The website now runs ${phpLabel(version)}.`;
    });
  });

  // Node.js ----------------------------------------------------------------------------------
  app.post('/:id/node/install', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'php', 'node-install', v, async (actor, id) => {
      await changeNode(deps, actor, id, { install: v.install ?? '' });
      return `${nodeLabel(v.install ?? '')} is installed on the website.`;
    });
  });

  app.post('/:id/node/default', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'php', 'node-default', v, async (actor, id) => {
      await changeNode(deps, actor, id, { default: v.default ?? '' });
      return `The website now uses ${nodeLabel(v.default ?? '')} by default.`;
    });
  });

  // Control panel ----------------------------------------------------------------------------
  // 303 to a login link minted now: never rendered, stored or logged (the request log has the path only).
  app.post('/:id/sso', async (c) => {
    const url = await panelLoginUrl(deps, actorOf(c), c.req.param('id'));
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    return redirect(c, url);
  });

  return app;
}
