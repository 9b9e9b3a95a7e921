import { AppError, ValidationError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import { auditSite, panel, siteContext, type SiteContext, type SiteDeps } from './site.ts';

/**
 * A hosting service's Node.js versions (issue 17 item 4): those the website may install, those
 * installed and the default, where the plan allows persistent apps (the subscription's
 * `persistentAppsAllowed`, read from the panel). Same service lookup, permissions and error
 * mapping as site.ts: hosting_view to read, hosting_manage to change, 409 without a live
 * website or while suspended; each change is audited.
 */

export const NODE_NOT_ALLOWED = 'Your hosting plan does not include Node.js applications.';

export interface NodeSettings {
  allowed: boolean;
  possible: string[];
  installed: string[];
  default: string | null;
}

/** "20" → "Node.js 20". */
export function nodeLabel(v: string): string {
  return `Node.js ${v}`;
}

async function allowedAt(deps: SiteDeps, ctx: SiteContext): Promise<boolean> {
  const subId = ctx.row.enhance_subscription_id;
  if (subId === null || subId === undefined) return false;
  const sub = await panel(deps, () => ctx.client.getSubscription(ctx.orgId, Number(subId)));
  return sub.persistentAppsAllowed === true;
}

async function read(deps: SiteDeps, ctx: SiteContext): Promise<NodeSettings> {
  if (!(await allowedAt(deps, ctx))) return { allowed: false, possible: [], installed: [], default: null };
  const v = await panel(deps, () => ctx.client.nodeVersions(ctx.websiteId));
  return { allowed: true, possible: v.possible, installed: v.installed, default: v.default };
}

/** The website's Node.js versions (`allowed: false` and empty lists when the plan has none). */
export async function nodeSettings(deps: SiteDeps, actor: Actor, serviceId: string) {
  const ctx = await siteContext(deps, actor, serviceId);
  return { service: ctx.row, node: await read(deps, ctx) };
}

/**
 * Installs a Node.js version and/or makes an installed one the default (`install` first, so
 * `{install: "22", default: "22"}` works in one go). 409 `hosting_node_not_allowed` when the
 * plan has no Node.js; 422 on `install` / `default` for a version it cannot have.
 */
export async function changeNode(
  deps: SiteDeps,
  actor: Actor,
  serviceId: string,
  input: { install?: string | null; default?: string | null },
): Promise<NodeSettings> {
  const ctx = await siteContext(deps, actor, serviceId, { change: true });
  const current = await read(deps, ctx);
  if (!current.allowed) throw new AppError('hosting_node_not_allowed', 409, NODE_NOT_ALLOWED);
  const install = input.install ?? undefined;
  const def = input.default ?? undefined;
  const fields: Record<string, string> = {};
  const choices = current.possible.map(nodeLabel).join(', ');
  if (install === undefined && def === undefined) fields.install = 'Choose a Node.js version.';
  if (install !== undefined && (typeof install !== 'string' || !current.possible.includes(install)))
    fields.install = `Choose one of the Node.js versions offered: ${choices}.`;
  const willHave = install !== undefined ? [...current.installed, install] : current.installed;
  if (def !== undefined && (typeof def !== 'string' || !willHave.includes(def)))
    fields.default = current.installed.length
      ? `Choose one of the installed Node.js versions: ${current.installed.map(nodeLabel).join(', ')}.`
      : 'Install a Node.js version first.';
  if (Object.keys(fields).length) throw new ValidationError(fields);
  const now = deps.clock.now();
  if (install !== undefined && !current.installed.includes(install)) {
    await panel(deps, () => ctx.client.installNodeVersion(ctx.websiteId, install), 'install');
    await auditSite(deps.db, actor, ctx.row, 'hosting.node_version_installed', { node_version: install }, now);
  }
  if (def !== undefined && def !== current.default) {
    await panel(deps, () => ctx.client.setDefaultNodeVersion(ctx.websiteId, def), 'default');
    await auditSite(
      deps.db,
      actor,
      ctx.row,
      'hosting.node_default_set',
      { node_version: def, previous: current.default },
      now,
    );
  }
  return read(deps, ctx);
}
