import { Hono, type Context } from 'hono';
import {
  acceptInvitation,
  declineInvitation,
  viewInvitation,
} from '../../../../domain/organizations/invitation-answers.ts';
import { cancelInvitation, inviteMember, resendInvitation } from '../../../../domain/organizations/invitations.ts';
import type { AppError } from '../../../../lib/errors.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { membersPageData } from './members.ts';
import { actorOf } from '../../../actor.ts';

const region = { id: 'invitations', partial: 'portal/organizations/_invitations' };

/**
 * Invitations, the organization's side (/organization/invitations): invite, resend, cancel,
 * on the members page (#invitations). The invitee's side is `invitationAnswerPages` below.
 */
export function invitationPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const membersData = membersPageData(deps);
  const opts = (status?: 422) => ({ layout: 'portal' as const, title: 'Members', region, status });

  /** The fresh #invitations region for htmx, else back to the members page with `message`. */
  const done = async (c: Context, message: string, extra: Record<string, unknown> = {}) => {
    if (c.req.header('hx-target') === region.id)
      return view.page(c, 'portal/organizations/members', await membersData(c, extra), opts());
    flash(c, message);
    return redirect(c, '/organization/members');
  };
  const refused = async (c: Context, err: AppError, values: Record<string, string> = {}) =>
    view.page(
      c,
      'portal/organizations/members',
      await membersData(c, { invite: { values, errors: err.fields ?? {}, message: err.message } }),
      opts(422),
    );

  app.post('/invitations', async (c) => {
    const values = await formData(c);
    return orFail(
      async () => {
        const inv = await inviteMember(deps, actorOf(c), values);
        return done(c, `We emailed an invitation to ${inv.email}.`, {
          invite: { values: {}, errors: {}, message: null, sent: inv.email },
        });
      },
      (err) => refused(c, err, values),
    );
  });

  app.post('/invitations/:id/deliveries', async (c) =>
    orFail(
      async () => {
        const inv = await resendInvitation(deps, actorOf(c), c.req.param('id'));
        return done(c, `We emailed a new invitation link to ${inv.email}; the old one no longer works.`, {
          invite: { values: {}, errors: {}, message: null, sent: inv.email },
        });
      },
      (err) => refused(c, err),
    ),
  );

  app.delete('/invitations/:id', async (c) =>
    orFail(
      async () => {
        await cancelInvitation(deps, actorOf(c), c.req.param('id'));
        return done(c, 'The invitation is cancelled.');
      },
      (err) => refused(c, err),
    ),
  );

  return app;
}

/**
 * /invitations/<token>: the invitee opens the emailed link and accepts or declines (signed in:
 * a signed-out visitor signs in and comes back). Someone else's link is a plain 404 that
 * names no organization.
 */
export function invitationAnswerPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const invitationPage = async (c: Context, token: string, message?: string, status?: 403 | 422) => {
    const invitation = await viewInvitation(deps, actorOf(c), token);
    return view.page(
      c,
      'public/invitation',
      { invitation, token, message: message ?? invitation.message },
      { layout: 'portal', title: 'Invitation', status },
    );
  };

  app.get('/:token', async (c) => invitationPage(c, c.req.param('token')));

  app.post('/:token/acceptance', async (c) => {
    const token = c.req.param('token');
    return orFail(
      async () => {
        const joined = await acceptInvitation(deps, actorOf(c), token);
        flash(c, `Welcome to ${joined.organization.name}! You joined as ${joined.role}.`);
        return redirect(c, '/dashboard');
      },
      (err) => invitationPage(c, token, err.message, err.status === 403 ? 403 : 422),
    );
  });

  app.post('/:token/declination', async (c) => {
    const token = c.req.param('token');
    return orFail(
      async () => {
        await declineInvitation(deps, actorOf(c), token);
        flash(c, 'You declined the invitation.', 'info');
        return redirect(c, '/dashboard');
      },
      (err) => invitationPage(c, token, err.message, err.status === 403 ? 403 : 422),
    );
  });

  return app;
}
