import type { Hono } from 'hono';
import { fail, invalid, notFound, type Call, routesAt } from './http.ts';
import type { EmuNode, EmuWebsite, EnhanceEmulatorState } from './state.ts';
import { website } from './websites.ts';

/**
 * Spec §4.6 "Persistent/Node apps": the Node.js versions a website may install, those it has,
 * and its default. The paths are under /api without /orgs/{org} in the spec (unconfirmed), so
 * they are answered both at `/websites/{W}/apps/node/…` and `/orgs/{org}/websites/{W}/apps/node/…`.
 * A website whose plan does not allow persistent apps answers 403 `{code:"forbidden"}`.
 */

export const NODE_POSSIBLE_VERSIONS = ['18', '20', '22'];

/** The website's Node.js state (none installed at first). */
export function nodeOf(site: EmuWebsite): EmuNode {
  return (site.extras.node ??= { installed: [], default: null });
}

export function nodeRoutes(app: Hono, state: EnhanceEmulatorState): void {
  for (const prefix of ['/api/websites/:site/apps/node', '/api/orgs/:org/websites/:site/apps/node']) {
    const r = routesAt(app, state, prefix);
    r('get', '/possible_versions', (call) => {
      allowedSite(state, call);
      return { body: NODE_POSSIBLE_VERSIONS };
    });
    r('get', '/versions', (call) => ({ body: [...nodeOf(allowedSite(state, call)).installed] }));
    r('post', '/versions', (call) => {
      const n = nodeOf(allowedSite(state, call));
      const v = version(call);
      if (!n.installed.includes(v)) n.installed.push(v);
      n.installed.sort((a, b) => Number(a) - Number(b));
      n.default ??= v;
      return { status: 201 };
    });
    r('get', '/versions/default', (call) => ({ body: nodeOf(allowedSite(state, call)).default }));
    r('put', '/versions/default', (call) => {
      const n = nodeOf(allowedSite(state, call));
      const v = version(call);
      if (!n.installed.includes(v)) throw invalid('version', `Node.js ${v} is not installed`);
      n.default = v;
      return { status: 200 };
    });
  }
}

function version(call: Call): string {
  const v = call.json;
  if (typeof v !== 'string' || !NODE_POSSIBLE_VERSIONS.includes(v)) throw invalid('version');
  return v;
}

/** The path's website (its org checked when given, else the token must reach the website's org); 403 when its plan has no persistent apps. */
function allowedSite(state: EnhanceEmulatorState, call: Call): EmuWebsite {
  let site: EmuWebsite | undefined;
  if (call.param('org')) site = website(state, call);
  else {
    site = state.websites.get(call.param('site'));
    if (!site) throw notFound('website');
    call.org(site.orgId);
  }
  if (site.status === 'deleted') throw notFound('website');
  const sub = state.subscriptions.get(site.subscriptionId);
  const plan = sub ? state.plans.get(sub.planId) : undefined;
  if (!plan?.persistentAppsAllowed) throw fail(403, 'forbidden');
  return site;
}
