import { Hono, type Context } from 'hono';
import { can } from '../../../../domain/access/actor.ts';
import { isOwner, mayGrantRole, mayManageMember, orgOf } from '../../../../domain/access/organization.ts';
import { listInvitations } from '../../../../domain/organizations/invitations.ts';
import { getOrganization } from '../../../../domain/organizations/organizations.ts';
import {
  changeMemberRole,
  leaveOrganization,
  listMembers,
  removeMember,
  transferOwnership,
} from '../../../../domain/organizations/members.ts';
import { listRoles } from '../../../../domain/organizations/roles.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { actorOf } from '../../../actor.ts';
import { switcherData } from '../../../organization-switcher.ts';

const TEMPLATE = 'portal/organizations/members';
const regions = {
  members: { id: 'members', partial: 'portal/organizations/_members' },
  leave: { id: 'leave', partial: 'portal/organizations/_leave' },
  ownership: { id: 'ownership', partial: 'portal/organizations/_ownership' },
};

/** The active organization's members: list, change role, remove, leave, transfer ownership. */
export function memberPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = (region?: { id: string; partial: string }, status?: 422) => ({
    layout: 'portal' as const,
    title: 'Members',
    region,
    status,
  });

  const pageData = membersPageData(deps);

  app.get('/members', async (c) => {
    if (!actorOf(c).organizationId) return c.redirect('/organizations', 303);
    return view.page(c, TEMPLATE, await pageData(c), opts());
  });

  /** After a change to the list: the fresh list (or a full reload when the actor changed their own standing). */
  const listChanged = async (c: Context, userId: string, message: string) => {
    if (userId !== actorOf(c).userId && c.req.header('hx-target') === regions.members.id)
      return view.page(c, TEMPLATE, await pageData(c), opts(regions.members));
    flash(c, message);
    return redirect(c, userId === actorOf(c).userId ? '/organizations' : '/organization/members');
  };
  const listRefused = async (c: Context, message: string) =>
    view.page(c, TEMPLATE, await pageData(c, { memberError: message }), opts(regions.members, 422));

  app.patch('/members/:userId', async (c) => {
    const userId = c.req.param('userId');
    const values = await formData(c);
    return orFail(
      async () => {
        await changeMemberRole(deps, actorOf(c), { userId, values });
        if (userId === actorOf(c).userId) {
          flash(c, 'Your role is changed.');
          return redirect(c, '/organization/members');
        }
        return listChanged(c, userId, 'The role is changed.');
      },
      (err) => listRefused(c, err.fields?.role_id ?? err.message),
    );
  });

  app.delete('/members/:userId', async (c) => {
    const userId = c.req.param('userId');
    return orFail(
      async () => {
        await removeMember(deps, actorOf(c), userId);
        return listChanged(
          c,
          userId,
          userId === actorOf(c).userId ? 'You left the organization.' : 'The member is removed.',
        );
      },
      (err) => listRefused(c, err.message),
    );
  });

  app.delete('/membership', async (c) => {
    orgOf(actorOf(c));
    return orFail(
      async () => {
        await leaveOrganization(deps, actorOf(c));
        flash(c, 'You left the organization.');
        return redirect(c, '/organizations');
      },
      async (err) => view.page(c, TEMPLATE, await pageData(c, { leaveError: err.message }), opts(regions.leave, 422)),
    );
  });

  app.post('/ownership', async (c) => {
    const values = await formData(c);
    return orFail(
      async () => {
        await transferOwnership(deps, actorOf(c), values);
        flash(c, 'Ownership is transferred. You are now an admin of this organization.');
        return redirect(c, '/organization/members');
      },
      async (err) =>
        view.page(
          c,
          TEMPLATE,
          await pageData(c, { ownershipErrors: err.fields ?? { user_id: err.message } }),
          opts(regions.ownership, 422),
        ),
    );
  });

  return app;
}

/** Everything the members page shows; controls are offered only where the actor may use them (the domain checks again). */
export function membersPageData(deps: AppDeps) {
  return async function pageData(c: Context, extra: Record<string, unknown> = {}) {
    const actor = actorOf(c);
    const [members, roles, switcher, org] = await Promise.all([
      listMembers(deps.db, actor),
      listRoles(deps.db, actor),
      switcherData(deps.db, actor),
      getOrganization(deps.db, actor),
    ]);
    const byId = new Map(roles.map((r) => [r.id, r]));
    return {
      ...switcher,
      members: members.map((m) => ({
        ...m,
        self: m.user_id === actor.userId,
        manageable: mayManageMember(actor, byId.get(m.role_id)!),
      })),
      grantable: roles.filter((r) => mayGrantRole(actor, r)),
      invitations: can(actor, 'members_manage')
        ? await listInvitations(deps.db, actor, { now: deps.clock.now(), status: 'pending' })
        : [],
      owner: isOwner(actor),
      // A personal organization stays with the account that came with it.
      leavable: !(org.personal && org.created_by === actor.userId),
      invite: { values: {}, errors: {}, message: null },
      memberError: null,
      leaveError: null,
      ownershipErrors: {},
      ...extra,
    };
  };
}
