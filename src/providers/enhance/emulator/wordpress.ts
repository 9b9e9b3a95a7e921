import type { Hono } from 'hono';
import { fail, invalid, notFound, routesAt, type Call } from './http.ts';
import { otp, uuid, type EmuWebsite, type EnhanceEmulatorState } from './state.ts';
import { website } from './websites.ts';

/**
 * Spec §4.6: apps and WordPress. An install is asynchronous (unconfirmed in reality): the app is
 * listed at once with `installStatus: "started"`, becomes `successful` after `jobMs` (or at
 * `finishJobs()`), or `failed` when armed; its WordPress endpoints answer 409 until then.
 * The admin user is WordPress user 1; a few plugins come installed, one with an update.
 */

interface WpUser {
  id: number;
  login: string;
  email: string;
  role: string;
}
interface WpPlugin {
  name: string;
  version: string;
  update: string | null;
  status: 'active' | 'inactive';
  autoUpdate: 'enabled' | 'disabled';
  author: string;
}
interface EmuApp {
  id: string;
  app: 'wordpress' | 'joomla';
  path: string;
  version: string;
  installStatus: 'started' | 'successful' | 'failed';
  dueAt: number;
  fails: boolean;
  users: WpUser[];
  plugins: WpPlugin[];
}

export const WORDPRESS_LATEST = '6.7.1';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function wordpressRoutes(app: Hono, state: EnhanceEmulatorState): void {
  const r = routesAt(app, state, '/api/orgs/:org/websites/:site');

  r('get', '/apps', (call) => {
    const site = settleApps(website(state, call));
    return { body: { items: apps(site).map(appJson) } };
  });

  r('post', '/apps', (call) => {
    const site = website(state, call);
    const b = call.body;
    if (b.app !== 'wordpress' && b.app !== 'joomla') throw invalid('app');
    if (typeof b.adminUsername !== 'string' || !/^[a-z0-9_.@-]{3,60}$/i.test(b.adminUsername))
      throw invalid('adminUsername');
    if (typeof b.adminPassword !== 'string' || b.adminPassword.length < 8)
      throw invalid('adminPassword', 'The password is too weak');
    if (typeof b.adminEmail !== 'string' || !EMAIL.test(b.adminEmail)) throw invalid('adminEmail');
    const path = typeof b.path === 'string' ? b.path.replace(/^\/+|\/+$/g, '') : '';
    if (apps(site).some((a) => a.path === path)) throw fail(409, 'conflict', 'app', 'An app is installed there');
    const fails = state.failJobs > 0;
    if (fails) state.failJobs -= 1;
    const a: EmuApp = {
      id: uuid(),
      app: b.app,
      path,
      version: typeof b.version === 'string' ? b.version : WORDPRESS_LATEST,
      installStatus: 'started',
      dueAt: Date.now() + state.options.jobMs,
      fails,
      users: [{ id: 1, login: b.adminUsername, email: b.adminEmail, role: 'administrator' }],
      plugins: [
        plugin('akismet', '5.3.3', '5.3.5', 'inactive'),
        plugin('hello-dolly', '1.7.2', null, 'inactive'),
        plugin('litespeed-cache', '6.5.2', null, 'active'),
      ],
    };
    site.extras.apps.set(a.id, a as unknown as Record<string, unknown>);
    return { status: 201, body: { id: a.id } };
  });

  r('delete', '/apps/:app', (call) => {
    const site = website(state, call);
    site.extras.apps.delete(appOf(state, call, false).id);
    return { status: 204 };
  });

  r('get', '/apps/:app/wordpress/version', (call) => ({ body: { version: appOf(state, call).version } }));
  r('patch', '/apps/:app/wordpress/version', (call) => {
    appOf(state, call).version = WORDPRESS_LATEST;
    return { status: 200 };
  });

  r('get', '/apps/:app/wordpress/users', (call) => ({ body: { items: appOf(state, call).users } }));
  r('post', '/apps/:app/wordpress/users', (call) => {
    const a = appOf(state, call);
    const { login, email, password, role } = call.body;
    if (typeof login !== 'string' || !/^[a-z0-9_.@-]{3,60}$/i.test(login)) throw invalid('login');
    if (typeof email !== 'string' || !EMAIL.test(email)) throw invalid('email');
    if (typeof password !== 'string' || password.length < 8) throw invalid('password', 'The password is too weak');
    if (a.users.some((u) => u.login === login || u.email === email))
      throw fail(409, 'conflict', 'wpUser', 'This user exists');
    const id = Math.max(0, ...a.users.map((u) => u.id)) + 1;
    a.users.push({ id, login, email, role: typeof role === 'string' ? role : 'subscriber' });
    return { status: 201 };
  });
  r('get', '/apps/:app/wordpress/users/:user/sso', (call) => {
    const a = appOf(state, call);
    const user = a.users.find((u) => u.id === Number(call.param('user')));
    if (!user) throw notFound('WordPress user');
    return { body: `${call.origin}/wp-sso/${a.id}?user=${user.id}&otp=${otp()}` };
  });

  r('get', '/apps/:app/wordpress/plugins', (call) => ({ body: { items: appOf(state, call).plugins } }));
  r('post', '/apps/:app/wordpress/plugins', (call) => {
    const a = appOf(state, call);
    const name = call.body.pluginName;
    if (typeof name !== 'string' || !/^[a-z0-9-]{2,100}$/.test(name)) throw invalid('pluginName');
    if (a.plugins.some((p) => p.name === name)) throw fail(409, 'conflict', 'plugin', 'The plugin is installed');
    a.plugins.push(plugin(name, '1.0.0', null, 'inactive'));
    return { status: 201 };
  });
  r('patch', '/apps/:app/wordpress/plugins/:plugin', (call) => {
    const p = pluginOf(state, call);
    const { status, autoUpdate } = call.body;
    if (status !== undefined && status !== 'active' && status !== 'inactive') throw invalid('status');
    if (autoUpdate !== undefined && autoUpdate !== 'enabled' && autoUpdate !== 'disabled') throw invalid('autoUpdate');
    if (status) p.status = status;
    if (autoUpdate) p.autoUpdate = autoUpdate;
    return { status: 204 };
  });
  r('patch', '/apps/:app/wordpress/plugins/:plugin/version', (call) => {
    const p = pluginOf(state, call);
    if (p.update) [p.version, p.update] = [p.update, null];
    return { status: 204 };
  });
  r('delete', '/apps/:app/wordpress/plugins/:plugin', (call) => {
    const a = appOf(state, call);
    a.plugins = a.plugins.filter((p) => p !== pluginOf(state, call));
    return { status: 204 };
  });
}

function plugin(name: string, version: string, update: string | null, status: WpPlugin['status']): WpPlugin {
  return { name, version, update, status, autoUpdate: 'disabled', author: 'WordPress contributors' };
}

const apps = (site: EmuWebsite) => [...site.extras.apps.values()] as unknown as EmuApp[];

/** Installs whose time is up (or all of them, `force`) finish. */
export function settleApps(site: EmuWebsite, force = false): EmuWebsite {
  for (const a of apps(site))
    if (a.installStatus === 'started' && (force || Date.now() >= a.dueAt))
      a.installStatus = a.fails ? 'failed' : 'successful';
  return site;
}

/** The app in the path; WordPress endpoints need it installed (409 `installing` before, 409 `failed` after a failure). */
function appOf(state: EnhanceEmulatorState, call: Call, installed = true): EmuApp {
  const site = settleApps(website(state, call));
  const a = site.extras.apps.get(call.param('app')) as unknown as EmuApp | undefined;
  if (!a) throw notFound('app');
  if (installed && a.installStatus === 'started') throw fail(409, 'conflict', 'installing', 'The app is installing');
  if (installed && a.installStatus === 'failed') throw fail(409, 'conflict', 'failed', 'The installation failed');
  return a;
}

function pluginOf(state: EnhanceEmulatorState, call: Call): WpPlugin {
  const p = appOf(state, call).plugins.find((x) => x.name === call.param('plugin'));
  if (!p) throw notFound('plugin');
  return p;
}

function appJson(a: EmuApp) {
  return {
    id: a.id,
    app: a.app,
    path: a.path,
    version: a.version,
    defaultWpUserId: a.installStatus === 'successful' ? 1 : null,
    installStatus: a.installStatus,
  };
}
