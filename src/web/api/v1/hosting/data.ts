import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { backupTab, createBackup, restoreBackup, type BackupView } from '../../../../domain/hosting/backups.ts';
import {
  createDatabase,
  createDatabaseUser,
  databaseTab,
  deleteDatabase,
  deleteDatabaseUser,
  phpMyAdminLink,
  PRIVILEGES,
  setDatabaseUserPassword,
  setGrants,
} from '../../../../domain/hosting/databases.ts';
import {
  createAddress,
  deleteAddress,
  emailTab,
  setCatchAll,
  updateAddress,
  webmailLink,
  type EmailView,
} from '../../../../domain/hosting/mail.ts';
import { presentOperation, type OperationRow } from '../../../../domain/hosting/operations.ts';
import {
  changePlugin,
  installWordPress,
  wordpressAdminLink,
  wordpressPlugins,
  wordpressTab,
} from '../../../../domain/hosting/wordpress.ts';
import { NotFoundError } from '../../../../lib/errors.ts';
import type { EnhanceWpPlugin } from '../../../../providers/enhance/index.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { idempotencyKeyHeader, idempotentRoute } from '../idempotency.ts';
import { listOf } from '../pagination.ts';
import { errorResponses, json, pathParam, Timestamp } from '../schemas.ts';

/**
 * The data tabs of a hosting service as sub-resources (issue 17 item 8): email, databases
 * (with users and their grants), WordPress (with plugins) and backups, under
 * /hosting/services/{id}. hosting_view reads, hosting_manage changes and mints sign-in links;
 * another organization's service is 404, one without a live website 409 `hosting_no_website`.
 * Passwords go to the panel only (never answered back, kept, or stored with an
 * Idempotency-Key); sign-in links (`…/sso`) are minted per call, single use, never kept.
 * WordPress installs, backups and restores answer 202 with an operation whose progress reads
 * in the tab's GET (each GET polls the panel: no webhooks).
 */

const TAG = 'hosting';
const Id = z.object({ id: pathParam('id', 'Hosting service id.') });
const WithAddress = Id.extend({
  address: z.string().openapi({
    param: { name: 'address', in: 'path' },
    example: 'info@example.com',
    description: 'The email address (URL-encode `@`).',
  }),
});
const WithName = Id.extend({
  name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'shop_db', description: 'Database name.' }),
});
const WithUser = Id.extend({
  username: z
    .string()
    .openapi({ param: { name: 'username', in: 'path' }, example: 'shop_user', description: 'Database user.' }),
});
const WithPlugin = Id.extend({
  plugin: z
    .string()
    .openapi({ param: { name: 'plugin', in: 'path' }, example: 'akismet', description: 'Plugin slug.' }),
});
const WithBackup = Id.extend({
  backupId: z
    .string()
    .openapi({ param: { name: 'backupId', in: 'path' }, example: '12', description: 'Backup id (integer).' }),
});

const COMMON = {
  404: 'No such service in the acting organization (another organization’s id is not found), or no such address, database, user, plugin or backup.',
  409: 'The service has no live website (`hosting_no_website`), is suspended (`hosting_suspended`), or the change conflicts (a duplicate, a job running).',
  503: 'The hosting platform could not be reached (`hosting_unavailable`); try again later.',
};
const READ = errorResponses([401, 403, 404, 409, 429, 503], COMMON);
const WRITE = errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
  ...COMMON,
  422: 'Validation failed (`fields` names each), the platform refused the value (`hosting_refused`), or a plan limit is reached (`hosting_quota_exceeded`).',
});

const SignIn = z
  .object({
    url: z.string().openapi({ description: 'Single use, minted now; open it at once. Never logged or kept.' }),
  })
  .openapi('HostingSignInLink');

const Operation = z
  .object({
    id: z.string(),
    kind: z.enum(['wordpress_install', 'backup', 'restore']),
    ref: z.string().openapi({ description: 'The app id (installs) or the backup id (backups, restores).' }),
    label: z.string(),
    status: z.enum(['running', 'done', 'failed']),
    message: z.string().nullable(),
    started_at: Timestamp,
    finished_at: Timestamp.nullable(),
  })
  .openapi('HostingOperation');
const op = (o: OperationRow) => Operation.parse(presentOperation(o));

const Address = z
  .object({
    address: z.string(),
    kind: z.enum(['mailbox', 'forwarder']),
    quota_mb: z.number().int().nullable(),
    usage_mb: z.number().int().nullable(),
    forward_to: z.array(z.string()),
    is_catch_all: z.boolean(),
    status: z.string(),
  })
  .openapi('HostingEmailAddress');
const presentAddress = (e: EmailView) =>
  Address.parse({
    address: e.address,
    kind: e.hasMailbox ? 'mailbox' : 'forwarder',
    quota_mb: e.quotaMb,
    usage_mb: e.usageMb,
    forward_to: e.forwarders,
    is_catch_all: e.isCatchAll,
    status: e.status,
  });

const NewAddress = z
  .object({
    kind: z.enum(['mailbox', 'forwarder']).default('mailbox'),
    local_part: z.string().max(200),
    domain: z.string().max(253).openapi({ description: 'One of the website’s domains.' }),
    password: z
      .string()
      .max(1000)
      .optional()
      .openapi({ description: 'Mailboxes: at least 10 characters. Sent to the mail server only.' }),
    quota_mb: z.number().int().optional().openapi({ description: 'Mailboxes: 1–102400 MB, default 1024.' }),
    forward_to: z
      .array(z.string().max(254))
      .max(50)
      .optional()
      .openapi({ description: 'Forwarders: the addresses mail goes to.' }),
  })
  .openapi('HostingNewEmailAddress');

const AddressPatch = z
  .object({
    password: z.string().max(1000).optional(),
    quota_mb: z.number().int().optional(),
    forward_to: z.array(z.string().max(254)).max(50).optional(),
    is_catch_all: z
      .boolean()
      .optional()
      .openapi({ description: 'true: this address catches mail to unknown addresses; false: none does.' }),
  })
  .openapi('HostingEmailAddressUpdate');

const Database = z
  .object({ name: z.string(), size_mb: z.number(), created_at: z.string().nullable() })
  .openapi('HostingDatabase');
const DbUser = z
  .object({
    username: z.string(),
    access_hosts: z.array(z.string()),
    grants: z.record(z.string(), z.array(z.string())).openapi({ description: 'Database name → privileges.' }),
    created_at: z.string().nullable(),
  })
  .openapi('HostingDatabaseUser');

const Plugin = z
  .object({
    name: z.string(),
    version: z.string(),
    update: z.string().nullable().openapi({ description: 'The newer version available, if any.' }),
    status: z.string(),
  })
  .openapi('HostingWordPressPlugin');
const presentPlugin = (p: EnhanceWpPlugin) =>
  Plugin.parse({ name: p.name, version: p.version, update: p.update, status: p.status });
const App = z
  .object({
    id: z.string(),
    app: z.string(),
    path: z.string(),
    version: z.string().nullable(),
    status: z.enum(['installing', 'installed', 'failed']),
    plugins: z.array(Plugin).nullable(),
  })
  .openapi('HostingApp');
const WordPress = z.object({ apps: z.array(App), operations: z.array(Operation) }).openapi('HostingWordPress');

const Backup = z
  .object({
    id: z.number().int(),
    description: z.string().nullable(),
    kind: z.string(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    size_mb: z.number().nullable(),
    status: z.enum(['running', 'done', 'failed']),
  })
  .openapi('HostingBackup');
const presentBackup = (b: BackupView) =>
  Backup.parse({
    id: b.id,
    description: b.description,
    kind: b.kind,
    started_at: b.startedAt,
    finished_at: b.finishedAt,
    size_mb: b.sizeMb,
    status: b.status,
  });
const Backups = z
  .object({
    data: z.array(Backup),
    operations: z.array(Operation),
    busy: z.boolean().openapi({ description: 'A backup or restore runs: new ones answer 409 until it ends.' }),
  })
  .openapi('HostingBackups');

const all = <T>(data: T[]) => ({ data, has_more: false, next_cursor: null });
const noStore = (c: Context) => c.header('Cache-Control', 'no-store');

export function hostingDataRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const base = '/hosting/services/{id}';
  const keyed = idempotentRoute(deps, { secretFields: ['password', 'admin_password'] });
  const keyHeader = idempotencyKeyHeader(
    'Any unique string: a retry with the same key answers as the first request did.',
  );

  // Email ------------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/email`,
      tags: [TAG],
      operationId: 'listHostingEmail',
      summary: 'The website’s email addresses: mailboxes and forwarders (needs `hosting_view`)',
      ...secured,
      request: { params: Id },
      responses: { 200: { description: 'Every address.', ...json(listOf(Address)) }, ...READ },
    }),
    async (c) => {
      const tab = await emailTab(deps, caller(c), c.req.valid('param').id);
      return c.json(all(tab.emails.map(presentAddress)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/email`,
      tags: [TAG],
      operationId: 'createHostingEmail',
      summary: 'Create a mailbox (password, quota) or a forwarder (needs `hosting_manage`)',
      ...keyed,
      request: { params: Id, headers: keyHeader, body: { required: true, ...json(NewAddress) } },
      responses: { 201: { description: 'The address.', ...json(Address) }, ...WRITE },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const b = c.req.valid('json');
      const address = await createAddress(deps, caller(c), id, {
        kind: b.kind,
        local_part: b.local_part,
        domain: b.domain,
        password: b.password,
        quota_mb: b.quota_mb,
        forward_to: b.forward_to ?? (b.kind === 'forwarder' ? [] : undefined),
      });
      const tab = await emailTab(deps, caller(c), id, 'hosting_manage');
      const made = tab.emails.find((e) => e.address === address);
      if (!made) throw new NotFoundError('The address was created but cannot be read yet.');
      return c.json(presentAddress(made), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: `${base}/email/{address}`,
      tags: [TAG],
      operationId: 'updateHostingEmail',
      summary: 'Change an address: mailbox password, quota, forwarding, catch-all (needs `hosting_manage`)',
      ...secured,
      request: { params: WithAddress, body: { required: true, ...json(AddressPatch) } },
      responses: { 200: { description: 'The address as it is now.', ...json(Address) }, ...WRITE },
    }),
    async (c) => {
      const { id, address } = c.req.valid('param');
      const b = c.req.valid('json');
      const name = address.trim().toLowerCase();
      const change = { password: b.password, quota_mb: b.quota_mb, forward_to: b.forward_to };
      if (Object.values(change).some((v) => v !== undefined)) await updateAddress(deps, caller(c), id, name, change);
      if (b.is_catch_all !== undefined) await setCatchAll(deps, caller(c), id, b.is_catch_all ? name : null);
      if (Object.values(change).every((v) => v === undefined) && b.is_catch_all === undefined)
        await updateAddress(deps, caller(c), id, name, {});
      const now = (await emailTab(deps, caller(c), id, 'hosting_manage')).emails.find((e) => e.address === name);
      if (!now) throw new NotFoundError('No such address.');
      return c.json(presentAddress(now), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: `${base}/email/{address}`,
      tags: [TAG],
      operationId: 'deleteHostingEmail',
      summary: 'Delete an address and its mail (needs `hosting_manage`)',
      ...secured,
      request: { params: WithAddress },
      responses: { 204: { description: 'Deleted.' }, ...WRITE },
    }),
    async (c) => {
      const { id, address } = c.req.valid('param');
      await deleteAddress(deps, caller(c), id, address);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/email/{address}/sso`,
      tags: [TAG],
      operationId: 'hostingWebmailSignIn',
      summary: 'A single-use webmail sign-in link for a mailbox (needs `hosting_manage`)',
      ...secured,
      request: { params: WithAddress },
      responses: { 200: { description: 'The link.', ...json(SignIn) }, ...WRITE },
    }),
    async (c) => {
      const { id, address } = c.req.valid('param');
      const url = await webmailLink(deps, caller(c), id, address);
      noStore(c);
      return c.json({ url }, 200);
    },
  );

  // Databases ----------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/databases`,
      tags: [TAG],
      operationId: 'listHostingDatabases',
      summary: 'The website’s MySQL databases (needs `hosting_view`)',
      ...secured,
      request: { params: Id },
      responses: { 200: { description: 'Every database.', ...json(listOf(Database)) }, ...READ },
    }),
    async (c) => {
      const tab = await databaseTab(deps, caller(c), c.req.valid('param').id);
      return c.json(
        all(tab.databases.map((d) => Database.parse({ name: d.name, size_mb: d.sizeMb, created_at: d.createdAt }))),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/databases`,
      tags: [TAG],
      operationId: 'createHostingDatabase',
      summary: 'Create a MySQL database (needs `hosting_manage`); names match `^[0-9a-z$_]{1,64}$`',
      ...keyed,
      request: {
        params: Id,
        headers: keyHeader,
        body: { required: true, ...json(z.object({ name: z.string().max(200) }).openapi('HostingNewDatabase')) },
      },
      responses: { 201: { description: 'Created.', ...json(Database) }, ...WRITE },
    }),
    async (c) => {
      const name = await createDatabase(deps, caller(c), c.req.valid('param').id, c.req.valid('json').name);
      return c.json(Database.parse({ name, size_mb: 0, created_at: null }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: `${base}/databases/{name}`,
      tags: [TAG],
      operationId: 'deleteHostingDatabase',
      summary: 'Delete a MySQL database and its data (needs `hosting_manage`)',
      ...secured,
      request: { params: WithName },
      responses: { 204: { description: 'Deleted.' }, ...WRITE },
    }),
    async (c) => {
      const { id, name } = c.req.valid('param');
      await deleteDatabase(deps, caller(c), id, name);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/databases/{name}/sso`,
      tags: [TAG],
      operationId: 'hostingPhpMyAdminSignIn',
      summary: 'A single-use phpMyAdmin sign-in link for a database (needs `hosting_manage`)',
      ...secured,
      request: { params: WithName },
      responses: { 200: { description: 'The link.', ...json(SignIn) }, ...WRITE },
    }),
    async (c) => {
      const { id, name } = c.req.valid('param');
      const url = await phpMyAdminLink(deps, caller(c), id, name);
      noStore(c);
      return c.json({ url }, 200);
    },
  );

  const presentUser = (u: {
    username: string;
    accessHosts: string[];
    grants: Record<string, string[]>;
    createdAt: string | null;
  }) => DbUser.parse({ username: u.username, access_hosts: u.accessHosts, grants: u.grants, created_at: u.createdAt });
  const userNow = async (c: Context, id: string, username: string) => {
    const u = (await databaseTab(deps, caller(c), id, 'hosting_manage')).users.find((x) => x.username === username);
    if (!u) throw new NotFoundError('No such database user.');
    return presentUser(u);
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/databases/users`,
      tags: [TAG],
      operationId: 'listHostingDatabaseUsers',
      summary: 'The website’s MySQL users with their grants (needs `hosting_view`)',
      ...secured,
      request: { params: Id },
      responses: { 200: { description: 'Every user.', ...json(listOf(DbUser)) }, ...READ },
    }),
    async (c) => {
      const tab = await databaseTab(deps, caller(c), c.req.valid('param').id);
      return c.json(all(tab.users.map(presentUser)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/databases/users`,
      tags: [TAG],
      operationId: 'createHostingDatabaseUser',
      summary: 'Create a MySQL user with a password (needs `hosting_manage`); names match `^[0-9a-z$_]{1,32}$`',
      ...keyed,
      request: {
        params: Id,
        headers: keyHeader,
        body: {
          required: true,
          ...json(
            z
              .object({ username: z.string().max(200), password: z.string().max(1000) })
              .openapi('HostingNewDatabaseUser'),
          ),
        },
      },
      responses: { 201: { description: 'Created (the password is never answered back).', ...json(DbUser) }, ...WRITE },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const username = await createDatabaseUser(deps, caller(c), id, c.req.valid('json'));
      return c.json(await userNow(c, id, username), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: `${base}/databases/users/{username}`,
      tags: [TAG],
      operationId: 'updateHostingDatabaseUser',
      summary: 'Change a MySQL user’s password (needs `hosting_manage`)',
      ...secured,
      request: {
        params: WithUser,
        body: {
          required: true,
          ...json(z.object({ password: z.string().max(1000) }).openapi('HostingDatabaseUserUpdate')),
        },
      },
      responses: { 200: { description: 'Changed.', ...json(DbUser) }, ...WRITE },
    }),
    async (c) => {
      const { id, username } = c.req.valid('param');
      await setDatabaseUserPassword(deps, caller(c), id, username, c.req.valid('json').password);
      return c.json(await userNow(c, id, username), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: `${base}/databases/users/{username}`,
      tags: [TAG],
      operationId: 'deleteHostingDatabaseUser',
      summary: 'Delete a MySQL user (needs `hosting_manage`)',
      ...secured,
      request: { params: WithUser },
      responses: { 204: { description: 'Deleted.' }, ...WRITE },
    }),
    async (c) => {
      const { id, username } = c.req.valid('param');
      await deleteDatabaseUser(deps, caller(c), id, username);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: `${base}/databases/users/{username}/grants`,
      tags: [TAG],
      operationId: 'setHostingDatabaseGrants',
      summary: 'Set a MySQL user’s privileges on one database; an empty list revokes them (needs `hosting_manage`)',
      ...secured,
      request: {
        params: WithUser,
        body: {
          required: true,
          ...json(
            z
              .object({
                database: z.string().max(200),
                privileges: z
                  .array(z.string().max(50))
                  .max(30)
                  .openapi({ description: `Any of ${PRIVILEGES.join(', ')}.` }),
              })
              .openapi('HostingDatabaseGrants'),
          ),
        },
      },
      responses: { 200: { description: 'The user with its grants now.', ...json(DbUser) }, ...WRITE },
    }),
    async (c) => {
      const { id, username } = c.req.valid('param');
      const b = c.req.valid('json');
      await setGrants(deps, caller(c), id, { username, database: b.database, privileges: b.privileges });
      return c.json(await userNow(c, id, username), 200);
    },
  );

  // WordPress ---------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/wordpress`,
      tags: [TAG],
      operationId: 'getHostingWordPress',
      summary:
        'Installed apps with their plugins, and the install operations (needs `hosting_view`); polls running installs',
      ...secured,
      request: { params: Id },
      responses: { 200: { description: 'Apps and operations.', ...json(WordPress) }, ...READ },
    }),
    async (c) => {
      const tab = await wordpressTab(deps, caller(c), c.req.valid('param').id);
      return c.json(
        WordPress.parse({
          apps: tab.apps.map((a) => ({ ...a, plugins: a.plugins?.map(presentPlugin) ?? null })),
          operations: tab.operations.filter((o) => o.kind === 'wordpress_install').map(op),
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/wordpress`,
      tags: [TAG],
      operationId: 'installHostingWordPress',
      summary: 'Install WordPress with the admin account you choose (needs `hosting_manage`); asynchronous',
      ...keyed,
      request: {
        params: Id,
        headers: keyHeader,
        body: {
          required: true,
          ...json(
            z
              .object({
                admin_username: z.string().max(200),
                admin_password: z
                  .string()
                  .max(1000)
                  .openapi({ description: 'At least 10 characters; sent to the website only.' }),
                admin_email: z.string().max(254),
                path: z
                  .string()
                  .max(300)
                  .optional()
                  .openapi({ description: 'A folder below the site (`blog`); empty: the site itself.' }),
              })
              .openapi('HostingWordPressInstall'),
          ),
        },
      },
      responses: {
        202: {
          description: 'Started: poll GET …/wordpress until the operation is `done` or `failed`.',
          ...json(Operation),
        },
        ...WRITE,
      },
    }),
    async (c) => {
      const row = await installWordPress(deps, caller(c), c.req.valid('param').id, c.req.valid('json'));
      return c.json(op(row), 202);
    },
  );

  const AppQuery = z.object({
    app_id: z.string().max(100).optional().openapi({ description: 'Default: the first installed WordPress.' }),
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/wordpress/plugins`,
      tags: [TAG],
      operationId: 'listHostingWordPressPlugins',
      summary: 'A WordPress install’s plugins (needs `hosting_view`)',
      ...secured,
      request: { params: Id, query: AppQuery },
      responses: { 200: { description: 'Every plugin.', ...json(listOf(Plugin)) }, ...READ },
    }),
    async (c) => {
      const { plugins } = await wordpressPlugins(deps, caller(c), c.req.valid('param').id, c.req.valid('query').app_id);
      return c.json(all(plugins.map(presentPlugin)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: `${base}/wordpress/plugins/{plugin}`,
      tags: [TAG],
      operationId: 'changeHostingWordPressPlugin',
      summary: 'Activate, deactivate or update a plugin (needs `hosting_manage`)',
      ...secured,
      request: {
        params: WithPlugin,
        body: {
          required: true,
          ...json(
            z
              .object({ action: z.enum(['activate', 'deactivate', 'update']), app_id: z.string().max(100).optional() })
              .openapi('HostingWordPressPluginChange'),
          ),
        },
      },
      responses: { 200: { description: 'The plugin now.', ...json(Plugin) }, ...WRITE },
    }),
    async (c) => {
      const { id, plugin } = c.req.valid('param');
      const b = c.req.valid('json');
      await changePlugin(deps, caller(c), id, { appId: b.app_id, plugin, action: b.action });
      const { plugins } = await wordpressPlugins(deps, caller(c), id, b.app_id, 'hosting_manage');
      const now = plugins.find((p) => p.name === plugin);
      if (!now) throw new NotFoundError('No such plugin.');
      return c.json(presentPlugin(now), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/wordpress/sso`,
      tags: [TAG],
      operationId: 'hostingWordPressSignIn',
      summary: 'A single-use wp-admin sign-in link as the install’s admin (needs `hosting_manage`)',
      ...secured,
      request: { params: Id, query: AppQuery },
      responses: { 200: { description: 'The link.', ...json(SignIn) }, ...WRITE },
    }),
    async (c) => {
      const url = await wordpressAdminLink(deps, caller(c), c.req.valid('param').id, c.req.valid('query').app_id);
      noStore(c);
      return c.json({ url }, 200);
    },
  );

  // Backups -----------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/backups`,
      tags: [TAG],
      operationId: 'listHostingBackups',
      summary: 'The website’s backups and the backup/restore operations (needs `hosting_view`); polls running ones',
      ...secured,
      request: { params: Id },
      responses: { 200: { description: 'Backups, newest first, and operations.', ...json(Backups) }, ...READ },
    }),
    async (c) => {
      const tab = await backupTab(deps, caller(c), c.req.valid('param').id);
      return c.json(
        Backups.parse({
          data: tab.backups.map(presentBackup),
          operations: tab.operations.filter((o) => o.kind !== 'wordpress_install').map(op),
          busy: tab.busy,
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/backups`,
      tags: [TAG],
      operationId: 'createHostingBackup',
      summary: 'Back the website up now: files, databases, email (needs `hosting_manage`); asynchronous',
      ...keyed,
      request: {
        params: Id,
        headers: keyHeader,
        body: {
          required: false,
          ...json(z.object({ description: z.string().max(1000).optional() }).openapi('HostingNewBackup')),
        },
      },
      responses: {
        202: {
          description: 'Started: poll GET …/backups until the operation is `done` or `failed`.',
          ...json(Operation),
        },
        ...WRITE,
      },
    }),
    async (c) => {
      const body = (c.req.valid('json') as { description?: string } | undefined) ?? {};
      const row = await createBackup(deps, caller(c), c.req.valid('param').id, { description: body.description });
      return c.json(op(row), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/backups/{backupId}/restore`,
      tags: [TAG],
      operationId: 'restoreHostingBackup',
      summary: 'Restore a finished backup over the website (needs `hosting_manage`); asynchronous',
      ...secured,
      request: { params: WithBackup },
      responses: {
        202: {
          description: 'Started: poll GET …/backups until the operation is `done` or `failed`.',
          ...json(Operation),
        },
        ...WRITE,
      },
    }),
    async (c) => {
      const { id, backupId } = c.req.valid('param');
      const row = await restoreBackup(deps, caller(c), id, backupId);
      return c.json(op(row), 202);
    },
  );

  return app;
}
