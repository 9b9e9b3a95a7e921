import { Hono, type Context } from 'hono';
import {
  reactivateUser,
  resetTwoFactor,
  suspendUser,
  unlockUser,
  updateUser,
} from '../../../domain/accounts/admin-changes.ts';
import { demoteUser, promoteUser } from '../../../domain/admin/platform-admins.ts';
import { listUsers, userDetail } from '../../../domain/accounts/admin.ts';
import type { Actor } from '../../../domain/access/actor.ts';
import { mayChangeSignInOf } from '../../../domain/access/guard.ts';
import type { Deps } from '../../../domain/deps.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';
import { impersonationStartPages } from './impersonation.ts';
import { organizationPages, pageLinks } from './organizations.ts';
import { adminListServers } from '../../../domain/servers/admin.ts';
import { serverFormat } from '../portal/servers/present.ts';

const layout = 'admin' as const;

/** Users, organizations and impersonation for staff; mounted at /admin (behind requireAdmin) by index.ts. */
export function adminPeoplePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const showData = userShowData(deps);
  app.route('/users', userPages(deps, view, showData));
  app.route('/users', impersonationStartPages(deps, view, showData));
  app.route('/organizations', organizationPages(deps, view));
  return app;
}

/** Which form on the user page a failed submission belongs to (it shows the errors). */
type FailedForm = 'profile' | 'actions' | 'impersonation' | null;
export type UserShowData = (
  c: Context,
  failed?: FailedForm,
) => Promise<Awaited<ReturnType<typeof userDetail>> & Record<string, unknown>>;

function userShowData(deps: AppDeps): UserShowData {
  return async (c, failed = null) => {
    const detail = await userDetail(deps.db, c.get('actor')!, c.req.param('id') ?? '', {
      now: deps.clock.now(),
      idleMinutes: deps.config.SESSION_IDLE_MINUTES,
    });
    const mayChangeSignIn = mayChangeSignInOf(c.get('actor')!, detail.user);
    const servers = await adminListServers(deps, c.get('actor')!, { createdBy: detail.user.id }, 1);
    return {
      ...detail,
      servers: servers.items,
      serverTotal: servers.total,
      fmt: serverFormat,
      self: detail.user.id === c.get('actor')!.userId,
      mayChangeSignIn,
      failed,
      values: {},
      errors: {},
      message: null,
    };
  };
}

type UserAction = (deps: Deps, actor: Actor, input: { userId: string }) => Promise<boolean | void>;

/** Each staff action on an account: method, path under /admin/users/:id, what it calls, what it says. */
const ACTIONS: [method: 'POST' | 'DELETE', path: string, action: UserAction, done: string, unchanged: string][] = [
  [
    'POST',
    'suspension',
    suspendUser,
    'The account is suspended and signed out everywhere.',
    'The account was already suspended.',
  ],
  ['DELETE', 'suspension', reactivateUser, 'The account is active again.', 'The account was already active.'],
  ['DELETE', 'lockout', unlockUser, 'The sign-in lockout is lifted.', ''],
  [
    'DELETE',
    'two-factor',
    resetTwoFactor,
    'Two-factor authentication is off for this account. They can set it up again.',
    'Two-factor authentication was not on.',
  ],
  ['POST', 'platform-admin', promoteUser, 'They are now a platform admin.', 'They were already a platform admin.'],
  [
    'DELETE',
    'platform-admin',
    demoteUser,
    'Their platform admin access is removed.',
    'They were not a platform admin.',
  ],
];

function userPages(deps: AppDeps, view: Renderer, showData: UserShowData) {
  const app = new Hono();

  app.get('/', async (c) => {
    const list = await listUsers(deps.db, c.get('actor')!, c.req.query());
    const { page, ...filters } = list.filters;
    const links = pageLinks('/admin/users', filters, page, list.pages);
    return view.page(
      c,
      'admin/users/index',
      { ...list, links },
      { layout, title: 'Users', region: { id: 'user-results', partial: 'admin/users/_results' } },
    );
  });

  app.get('/:id', async (c) => {
    const data = await showData(c);
    return view.page(c, 'admin/users/show', data, { layout, title: data.user.name });
  });

  app.patch('/:id', async (c) => {
    const values = await formData(c);
    const data = await showData(c, 'profile');
    const region = { id: 'user-profile', partial: 'admin/users/_profile_form' };
    return submitForm(
      c,
      view,
      { template: 'admin/users/show', values, data, options: { layout, title: data.user.name, region } },
      async () => {
        const changed = await updateUser(deps, c.get('actor')!, { userId: data.user.id, values });
        flash(c, changed.length ? 'The account is saved.' : 'Nothing changed.', changed.length ? 'success' : 'info');
        return redirect(c, `/admin/users/${data.user.id}`);
      },
    );
  });

  for (const [method, path, action, done, unchanged] of ACTIONS) {
    app.on(method, `/:id/${path}`, async (c) => {
      const data = await showData(c, 'actions');
      const region = { id: 'user-actions', partial: 'admin/users/_actions' };
      return submitForm(
        c,
        view,
        { template: 'admin/users/show', values: {}, data, options: { layout, title: data.user.name, region } },
        async () => {
          const changed = await action(deps, c.get('actor')!, { userId: data.user.id });
          flash(c, changed === false ? unchanged : done, changed === false ? 'info' : 'success');
          return redirect(c, `/admin/users/${data.user.id}`);
        },
      );
    });
  }

  return app;
}
