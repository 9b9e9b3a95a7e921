import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import type { EnhanceApp, EnhanceWpPlugin } from '../../providers/enhance/index.ts';
import type { Actor } from '../access/actor.ts';
import type { HostingDeps } from './connector.ts';
import {
  auditSite,
  operationsOf,
  panel,
  refreshOperations,
  siteAccess,
  startOperation,
  type OperationRow,
  type SiteAccess,
} from './operations.ts';

/**
 * WordPress on a hosting service (issue 17 item 4): a one-click install with the admin
 * username, password and email the customer chooses (the password goes to the panel only),
 * asynchronous — recorded as an operation and polled until the panel says it is installed or
 * failed (operations.ts) —, the installed apps, each WordPress's plugins (update, activate,
 * deactivate), and wp-admin sign-in by a fresh single-use link.
 */

const USERNAME = /^[a-z0-9_.@-]{3,60}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PATH = /^[a-z0-9][a-z0-9_-]{0,62}(?:\/[a-z0-9][a-z0-9_-]{0,62}){0,3}$/i;
const PLUGIN = /^[a-z0-9][a-z0-9._-]{0,99}$/i;
export const WP_PASSWORD_MIN = 10;

export interface AppView {
  id: string;
  app: string;
  /** '/' for the site itself, else '/blog'. */
  path: string;
  version: string | null;
  status: 'installing' | 'installed' | 'failed';
  plugins: EnhanceWpPlugin[] | null;
}

export interface WordPressTab {
  apps: AppView[];
  operations: OperationRow[];
}

function statusOf(a: EnhanceApp): AppView['status'] {
  if (a.installStatus === 'started') return 'installing';
  if (a.installStatus === 'failed') return 'failed';
  return 'installed';
}

export async function wordpressTab(deps: HostingDeps, actor: Actor, serviceId: string): Promise<WordPressTab> {
  const s = await siteAccess(deps, actor, serviceId, 'hosting_view');
  return wordpressOf(deps, s);
}

export async function wordpressOf(deps: HostingDeps, s: SiteAccess): Promise<WordPressTab> {
  await refreshOperations(deps, s);
  const apps = await panel(() => s.client.listApps(s.orgId, s.websiteId));
  const views = await Promise.all(
    apps.map(async (a): Promise<AppView> => {
      const status = statusOf(a);
      const plugins =
        status === 'installed' && a.app === 'wordpress'
          ? await panel(() => s.client.listWpPlugins(s.orgId, s.websiteId, a.id)).catch(() => null)
          : null;
      return { id: a.id, app: a.app, path: `/${a.path}`, version: a.version, status, plugins };
    }),
  );
  return { apps: views, operations: await operationsOf(s.db, s.service.id) };
}

export interface InstallInput {
  admin_username: unknown;
  admin_password: unknown;
  admin_email: unknown;
  path?: unknown;
}

/** Starts installing WordPress; its progress is the returned operation's. */
export async function installWordPress(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  input: InstallInput,
): Promise<OperationRow> {
  const errors: Record<string, string> = {};
  const username = typeof input.admin_username === 'string' ? input.admin_username.trim() : '';
  const email = typeof input.admin_email === 'string' ? input.admin_email.trim() : '';
  const password = typeof input.admin_password === 'string' ? input.admin_password : '';
  const rawPath = typeof input.path === 'string' ? input.path.trim().replace(/^\/+|\/+$/g, '') : '';
  if (!USERNAME.test(username) || username.toLowerCase() === 'admin')
    errors.admin_username = 'Use 3 to 60 letters, digits or . _ @ - (and not “admin”, which bots try first).';
  if (!password) errors.admin_password = 'Choose a password for the WordPress admin.';
  else if (password.length < WP_PASSWORD_MIN) errors.admin_password = `Use at least ${WP_PASSWORD_MIN} characters.`;
  else if (password.length > 128) errors.admin_password = 'Use at most 128 characters.';
  if (!EMAIL.test(email) || email.length > 254) errors.admin_email = 'Enter a valid email address.';
  if (rawPath && !PATH.test(rawPath)) errors.path = 'Leave empty for the site itself, or a folder like blog.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const s = await siteAccess(deps, actor, serviceId, 'hosting_manage');
  const apps = await panel(() => s.client.listApps(s.orgId, s.websiteId));
  if (apps.some((a) => a.path === rawPath))
    throw new ValidationError({ path: 'An app is already installed there: choose another folder or remove it.' });
  const appId = await panel(
    () =>
      s.client.installWordPress(s.orgId, s.websiteId, {
        adminUsername: username,
        adminPassword: password,
        adminEmail: email,
        path: rawPath,
      }),
    { adminUsername: 'admin_username', adminPassword: 'admin_password', adminEmail: 'admin_email', path: 'path' },
  );
  return startOperation(deps, actor, s.service, {
    kind: 'wordpress_install',
    ref: appId,
    label: `/${rawPath}`,
    action: 'hosting.wordpress_install_started',
  });
}

async function installedApp(s: SiteAccess, appId: string | undefined): Promise<EnhanceApp> {
  const apps = (await panel(() => s.client.listApps(s.orgId, s.websiteId))).filter((a) => a.app === 'wordpress');
  const app = appId ? apps.find((a) => a.id === appId) : (apps.find((a) => statusOf(a) === 'installed') ?? apps[0]);
  if (!app) throw new NotFoundError('No WordPress is installed on this website.');
  if (statusOf(app) === 'installing')
    throw new AppError('hosting_installing', 409, 'WordPress is still being installed: try again in a minute.');
  if (statusOf(app) === 'failed')
    throw new AppError('hosting_install_failed', 409, 'This WordPress installation failed.');
  return app;
}

/** `permission`: hosting_view, or hosting_manage to read back what a change made (an API key may hold only that). */
export async function wordpressPlugins(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  appId?: string,
  permission: 'hosting_view' | 'hosting_manage' = 'hosting_view',
) {
  const s = await siteAccess(deps, actor, serviceId, permission);
  const app = await installedApp(s, appId);
  return { app, plugins: await panel(() => s.client.listWpPlugins(s.orgId, s.websiteId, app.id)) };
}

export type PluginAction = 'activate' | 'deactivate' | 'update';
export const PLUGIN_ACTIONS: readonly PluginAction[] = ['activate', 'deactivate', 'update'];

export async function changePlugin(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  input: { appId?: string; plugin: string; action: unknown },
): Promise<void> {
  if (!PLUGIN.test(input.plugin ?? '')) throw new NotFoundError('No such plugin.');
  if (typeof input.action !== 'string' || !PLUGIN_ACTIONS.includes(input.action as PluginAction))
    throw new ValidationError({ action: 'Choose activate, deactivate or update.' });
  const action = input.action as PluginAction;
  const s = await siteAccess(deps, actor, serviceId, 'hosting_manage');
  const app = await installedApp(s, input.appId);
  const plugins = await panel(() => s.client.listWpPlugins(s.orgId, s.websiteId, app.id));
  const plugin = plugins.find((p) => p.name === input.plugin);
  if (!plugin) throw new NotFoundError('No such plugin.');
  if (action === 'update') {
    if (!plugin.update) throw new AppError('hosting_up_to_date', 409, `${plugin.name} is already up to date.`);
    await panel(() => s.client.upgradeWpPlugin(s.orgId, s.websiteId, app.id, plugin.name));
  } else {
    await panel(() =>
      s.client.updateWpPlugin(s.orgId, s.websiteId, app.id, plugin.name, {
        status: action === 'activate' ? 'active' : 'inactive',
      }),
    );
  }
  await auditSite(s, actor, 'hosting.wordpress_plugin_changed', {
    name: plugin.name,
    change: action,
    ...(action === 'update' ? { version: plugin.update } : {}),
  });
}

/** A fresh wp-admin sign-in link as the install's admin: redirect to it at once, never keep it. */
export async function wordpressAdminLink(deps: HostingDeps, actor: Actor, serviceId: string, appId?: string) {
  const s = await siteAccess(deps, actor, serviceId, 'hosting_manage');
  const app = await installedApp(s, appId);
  let userId = app.defaultWpUserId;
  if (userId === null) {
    const users = await panel(() => s.client.listWpUsers(s.orgId, s.websiteId, app.id));
    userId = (users.find((u) => u.role === 'administrator') ?? users[0])?.id ?? null;
  }
  if (userId === null) throw new NotFoundError('This WordPress has no admin user.');
  const url = await panel(() => s.client.wpUserSsoUrl(s.orgId, s.websiteId, app.id, userId));
  await auditSite(s, actor, 'hosting.wordpress_admin_opened', { path: `/${app.path}` });
  return url;
}
