import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { orgActor } from '../../../../domain/access/organization.ts';
import { acceptInvitation, declineInvitation } from '../../../../domain/organizations/invitation-answers.ts';
import { cancelInvitation, inviteMember, listInvitations } from '../../../../domain/organizations/invitations.ts';
import { getOrganization } from '../../../../domain/organizations/organizations.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, inOrg, secured } from '../bearer-auth.ts';
import { OrganizationDetail, OrgParams, presentOrganizationDetail } from '../organizations/schemas.ts';
import { listOf, listPage } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { Invitation, InvitationParams, InviteRequest, ListQuery, presentInvitation, TokenParams } from './schemas.ts';

const answerErrors = errorResponses([401, 403, 404, 422, 429], {
  403: '`email_unverified`: confirm your email address first; or an API key (use a user token).',
  404: 'Unknown token, or an invitation for another address: `not_found`.',
  422: '`invitation_expired`, `invitation_accepted` (already used), `invitation_declined`, `invitation_cancelled`, `already_member`.',
});

/** Invitations: the organization's side (members_manage) and the invitee's answers (a user token whose verified email is the invited one). */
export function invitationRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const list = createRoute({
    method: 'get',
    path: '/organizations/{id}/invitations',
    tags: ['invitations'],
    operationId: 'listInvitations',
    summary: 'Invitations of an organization (needs `members_manage`)',
    ...secured,
    request: { params: OrgParams, query: ListQuery },
    responses: {
      200: { description: 'Newest first.', ...json(listOf(Invitation)) },
      ...errorResponses([401, 403, 404, 422, 429]),
    },
  });
  app.openapi(list, async (c) => {
    const { limit, cursor, status } = c.req.valid('query');
    const rows = await listInvitations(deps.db, await inOrg(deps, c), {
      now: deps.clock.now(),
      status,
      page: { limit, cursor },
    });
    return c.json(
      listPage(rows, limit, presentInvitation, (r) => r.id),
      200,
    );
  });

  const create = createRoute({
    method: 'post',
    path: '/organizations/{id}/invitations',
    tags: ['invitations'],
    operationId: 'inviteMember',
    summary: 'Invite someone by email (needs `members_manage`)',
    ...secured,
    request: { params: OrgParams, body: { required: true, ...json(InviteRequest) } },
    responses: {
      201: {
        description: 'Invited: the link (valid 7 days, single use) is emailed, never returned.',
        ...json(Invitation),
      },
      ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429], {
        422: 'Invalid, already a member, already invited, or a role granting permissions you do not hold.',
      }),
    },
  });
  app.openapi(create, async (c) =>
    c.json(presentInvitation(await inviteMember(deps, await inOrg(deps, c), c.req.valid('json'))), 201),
  );

  const cancel = createRoute({
    method: 'delete',
    path: '/organizations/{id}/invitations/{invitationId}',
    tags: ['invitations'],
    operationId: 'cancelInvitation',
    summary: 'Cancel a pending invitation (needs `members_manage`)',
    ...secured,
    request: { params: InvitationParams },
    responses: {
      204: { description: 'Cancelled; the link no longer works.' },
      ...errorResponses([401, 403, 404, 422, 429], { 422: '`invitation_not_pending`: already answered or cancelled.' }),
    },
  });
  app.openapi(cancel, async (c) => {
    await cancelInvitation(deps, await inOrg(deps, c), c.req.param('invitationId'));
    return c.body(null, 204);
  });

  const accept = createRoute({
    method: 'post',
    path: '/invitations/{token}/accept',
    tags: ['invitations'],
    operationId: 'acceptInvitation',
    summary: 'Accept an invitation sent to your verified email',
    ...secured,
    request: { params: TokenParams },
    responses: {
      200: {
        description: 'Joined with the invited role; it is now your active organization.',
        ...json(OrganizationDetail),
      },
      ...answerErrors,
    },
  });
  app.openapi(accept, async (c) => {
    const joined = await acceptInvitation(deps, caller(c), c.req.param('token'));
    return c.json(
      presentOrganizationDetail(
        await getOrganization(deps.db, await orgActor(deps.db, caller(c), joined.organization.id)),
      ),
      200,
    );
  });

  const decline = createRoute({
    method: 'post',
    path: '/invitations/{token}/decline',
    tags: ['invitations'],
    operationId: 'declineInvitation',
    summary: 'Decline an invitation sent to your verified email',
    ...secured,
    request: { params: TokenParams },
    responses: { 204: { description: 'Declined; the link no longer works.' }, ...answerErrors },
  });
  app.openapi(decline, async (c) => {
    await declineInvitation(deps, caller(c), c.req.param('token'));
    return c.body(null, 204);
  });

  return app;
}
