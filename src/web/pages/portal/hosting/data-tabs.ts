import { Hono, type Context } from 'hono';
import type { Actor } from '../../../../domain/access/actor.ts';
import { can } from '../../../../domain/access/actor.ts';
import { backupsOf, createBackup, restoreBackup } from '../../../../domain/hosting/backups.ts';
import {
  createDatabase,
  createDatabaseUser,
  databasesOf,
  deleteDatabase,
  deleteDatabaseUser,
  phpMyAdminLink,
  PRIVILEGES,
  setDatabaseUserPassword,
  setGrants,
} from '../../../../domain/hosting/databases.ts';
import {
  createAddress,
  DEFAULT_QUOTA_MB,
  deleteAddress,
  emailsOf,
  setCatchAll,
  updateAddress,
  webmailLink,
} from '../../../../domain/hosting/mail.ts';
import { siteAccess, type SiteAccess } from '../../../../domain/hosting/operations.ts';
import {
  changePlugin,
  installWordPress,
  wordpressAdminLink,
  wordpressOf,
} from '../../../../domain/hosting/wordpress.ts';
import type { AppError } from '../../../../lib/errors.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, formList, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

/**
 * The data tabs of a hosting service (issue 17 item 4), each a page under /hosting/:id:
 *
 *   /email       mailboxes (quota, password typed by the customer), forwarders, catch-all, webmail
 *   /databases   MySQL databases, users, privileges, phpMyAdmin
 *   /wordpress   one-click install (live progress), plugins, wp-admin
 *   /backups     list, take one, restore one (live progress)
 *
 * Reads need hosting_view, every form hosting_manage (the domain asks; the forms are shown
 * with the same `can`). A form's refusal shows the tab again with the messages beside the
 * fields (422; 409/503 keep theirs), never a password typed. Sign-ins (webmail, phpMyAdmin,
 * wp-admin) are POSTs answered with a 303 to a link minted just then: never shown, stored or
 * logged. Running operations are polled by the tab's live region (every few seconds while one
 * runs) and announced to the organization's other open pages over SSE (`hosting.operation`).
 */

export type DataTab = 'email' | 'databases' | 'wordpress' | 'backups';

const TITLES: Record<DataTab, string> = {
  email: 'Email',
  databases: 'Databases',
  wordpress: 'WordPress',
  backups: 'Backups',
};

async function tabData(deps: AppDeps, s: SiteAccess, tab: DataTab): Promise<Record<string, unknown>> {
  if (tab === 'email') return { email: await emailsOf(s), defaultQuotaMb: DEFAULT_QUOTA_MB };
  if (tab === 'databases') return { mysql: await databasesOf(s), privileges: PRIVILEGES };
  if (tab === 'wordpress') return { wordpress: await wordpressOf(deps, s) };
  return { backups: await backupsOf(deps, s) };
}

type Status = 200 | 409 | 422 | 503;

async function render(
  deps: AppDeps,
  view: Renderer,
  c: Context,
  tab: DataTab,
  extra: { form?: string; errors?: Record<string, string>; values?: Record<string, string>; message?: string } = {},
  status: Status = 200,
) {
  const actor = actorOf(c);
  const s = await siteAccess(deps, actor, c.req.param('id')!, 'hosting_view');
  const data = await tabData(deps, s, tab);
  return view.page(
    c,
    `portal/hosting/${tab}`,
    {
      // The row, with what the shared tab bar (_tabs.eta) reads in its view's words.
      service: { ...s.service, cancelAtPeriodEnd: s.service.cancel_at_period_end },
      tab,
      active: tab,
      mayManage: can(actor, 'hosting_manage') && s.service.status === 'active',
      form: extra.form ?? '',
      errors: extra.errors ?? {},
      values: extra.values ?? {},
      message: extra.message ?? '',
      ...data,
    },
    { layout: 'portal', title: `${TITLES[tab]} · ${s.service.domain}`, status },
  );
}

const statusOf = (err: AppError): Status => (err.status === 409 || err.status === 503 ? err.status : 422);

/** Runs a tab's form; success goes back to the tab with a notice, a refusal shows the tab again. */
function perform(
  deps: AppDeps,
  view: Renderer,
  c: Context,
  tab: DataTab,
  form: string,
  values: Record<string, string>,
  action: (actor: Actor, id: string) => Promise<string>,
) {
  const id = c.req.param('id')!;
  return orFail(
    async () => {
      const notice = await action(actorOf(c), id);
      flash(c, notice);
      return redirect(c, `/hosting/${id}/${tab}`);
    },
    (err) => {
      const safe = Object.fromEntries(Object.entries(values).filter(([k]) => !/password/.test(k)));
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

/** A sign-in link: 303 straight to it (HX-Redirect for htmx), never rendered. */
function signIn(
  deps: AppDeps,
  view: Renderer,
  c: Context,
  tab: DataTab,
  form: string,
  mint: (actor: Actor, id: string) => Promise<string>,
) {
  return orFail(
    async () => {
      const url = await mint(actorOf(c), c.req.param('id')!);
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      return redirect(c, url);
    },
    (err) => render(deps, view, c, tab, { form, message: err.message }, statusOf(err)),
  );
}

export function dataTabPages(deps: AppDeps, view: Renderer): Hono {
  const app = new Hono();

  for (const tab of ['email', 'databases', 'wordpress', 'backups'] as const)
    app.get(`/:id/${tab}`, (c) => render(deps, view, c, tab));

  // Email ----------------------------------------------------------------------------------
  app.post('/:id/email', async (c) => {
    const v = await formData(c);
    const kind = v.kind === 'forwarder' ? 'forwarder' : 'mailbox';
    return perform(deps, view, c, 'email', kind, v, async (actor, id) => {
      const address = await createAddress(deps, actor, id, {
        kind,
        local_part: v.local_part ?? '',
        domain: v.domain ?? '',
        password: v.password,
        quota_mb: v.quota_mb,
        forward_to: v.forward_to,
      });
      return kind === 'mailbox' ? `The mailbox ${address} was created.` : `The forwarder ${address} was created.`;
    });
  });

  app.post('/:id/email/catch-all', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'email', 'catch_all', v, async (actor, id) => {
      const address = (v.catch_all ?? '').trim();
      await setCatchAll(deps, actor, id, address || null);
      return address ? `Mail to unknown addresses now goes to ${address}.` : 'Mail to unknown addresses is refused.';
    });
  });

  app.post('/:id/email/:address/password', async (c) => {
    const v = await formData(c);
    const address = c.req.param('address');
    return perform(deps, view, c, 'email', `password:${address}`, v, async (actor, id) => {
      await updateAddress(deps, actor, id, address, { password: v.password ?? '' });
      return `The password of ${address} was changed.`;
    });
  });

  app.post('/:id/email/:address/quota', async (c) => {
    const v = await formData(c);
    const address = c.req.param('address');
    return perform(deps, view, c, 'email', `quota:${address}`, v, async (actor, id) => {
      await updateAddress(deps, actor, id, address, { quota_mb: v.quota_mb ?? '' });
      return `The quota of ${address} was changed.`;
    });
  });

  app.post('/:id/email/:address/forwarders', async (c) => {
    const v = await formData(c);
    const address = c.req.param('address');
    return perform(deps, view, c, 'email', `forwarders:${address}`, v, async (actor, id) => {
      await updateAddress(deps, actor, id, address, { forward_to: v.forward_to ?? '' });
      return `The forwarding of ${address} was saved.`;
    });
  });

  app.post('/:id/email/:address/deletion', async (c) => {
    const address = c.req.param('address');
    return perform(deps, view, c, 'email', `delete:${address}`, {}, async (actor, id) => {
      await deleteAddress(deps, actor, id, address);
      return `${address} was deleted.`;
    });
  });

  app.post('/:id/email/:address/webmail', (c) =>
    signIn(deps, view, c, 'email', 'webmail', (actor, id) => webmailLink(deps, actor, id, c.req.param('address'))),
  );

  // MySQL ----------------------------------------------------------------------------------
  app.post('/:id/databases', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'databases', 'database', v, async (actor, id) => {
      const name = await createDatabase(deps, actor, id, v.name ?? '');
      return `The database ${name} was created.`;
    });
  });

  app.post('/:id/databases/:name/deletion', (c) => {
    const name = c.req.param('name');
    return perform(deps, view, c, 'databases', `delete-db:${name}`, {}, async (actor, id) => {
      await deleteDatabase(deps, actor, id, name);
      return `The database ${name} was deleted.`;
    });
  });

  app.post('/:id/databases/:name/phpmyadmin', (c) =>
    signIn(deps, view, c, 'databases', 'phpmyadmin', (actor, id) =>
      phpMyAdminLink(deps, actor, id, c.req.param('name')),
    ),
  );

  app.post('/:id/database-users', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'databases', 'user', v, async (actor, id) => {
      const name = await createDatabaseUser(deps, actor, id, {
        username: v.username ?? '',
        password: v.password ?? '',
      });
      return `The database user ${name} was created.`;
    });
  });

  app.post('/:id/database-users/:username/password', async (c) => {
    const v = await formData(c);
    const username = c.req.param('username');
    return perform(deps, view, c, 'databases', `user-password:${username}`, v, async (actor, id) => {
      await setDatabaseUserPassword(deps, actor, id, username, v.password ?? '');
      return `The password of ${username} was changed.`;
    });
  });

  app.post('/:id/database-users/:username/deletion', (c) => {
    const username = c.req.param('username');
    return perform(deps, view, c, 'databases', `delete-user:${username}`, {}, async (actor, id) => {
      await deleteDatabaseUser(deps, actor, id, username);
      return `The database user ${username} was deleted.`;
    });
  });

  app.post('/:id/database-grants', async (c) => {
    const v = await formData(c);
    const privileges = await formList(c, 'privileges');
    return perform(deps, view, c, 'databases', 'grants', v, async (actor, id) => {
      const grants = await setGrants(deps, actor, id, { username: v.username, database: v.database, privileges });
      return grants.length
        ? `${v.username} now has ${grants.join(', ')} on ${v.database}.`
        : `${v.username} no longer has access to ${v.database}.`;
    });
  });

  // WordPress --------------------------------------------------------------------------------
  app.post('/:id/wordpress', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'wordpress', 'install', v, async (actor, id) => {
      await installWordPress(deps, actor, id, {
        admin_username: v.admin_username,
        admin_password: v.admin_password,
        admin_email: v.admin_email,
        path: v.path,
      });
      return 'WordPress is being installed: this page shows when it is ready.';
    });
  });

  app.post('/:id/wordpress/:app/plugins/:plugin', async (c) => {
    const v = await formData(c);
    const plugin = c.req.param('plugin');
    return perform(deps, view, c, 'wordpress', `plugin:${plugin}`, v, async (actor, id) => {
      await changePlugin(deps, actor, id, { appId: c.req.param('app'), plugin, action: v.action });
      return v.action === 'update'
        ? `${plugin} was updated.`
        : `${plugin} was ${v.action === 'activate' ? 'activated' : 'deactivated'}.`;
    });
  });

  app.post('/:id/wordpress/:app/admin', (c) =>
    signIn(deps, view, c, 'wordpress', 'wp-admin', (actor, id) =>
      wordpressAdminLink(deps, actor, id, c.req.param('app')),
    ),
  );

  // Backups ----------------------------------------------------------------------------------
  app.post('/:id/backups', async (c) => {
    const v = await formData(c);
    return perform(deps, view, c, 'backups', 'backup', v, async (actor, id) => {
      await createBackup(deps, actor, id, { description: v.description });
      return 'A backup is being taken: this page shows when it is done.';
    });
  });

  app.post('/:id/backups/:backup/restore', (c) =>
    perform(deps, view, c, 'backups', 'restore', {}, async (actor, id) => {
      await restoreBackup(deps, actor, id, c.req.param('backup'));
      return 'The backup is being restored over the website: this page shows when it is done.';
    }),
  );

  return app;
}
