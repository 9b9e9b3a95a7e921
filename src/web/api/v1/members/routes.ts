import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { changeMemberRole, getMember, listMembers, removeMember } from '../../../../domain/organizations/members.ts';
import type { AppDeps } from '../../../context.ts';
import { inOrg, secured } from '../bearer-auth.ts';
import { OrgParams } from '../organizations/schemas.ts';
import { listOf, listPage, PageQuery } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { ChangeRoleRequest, Member, MemberParams, presentMember } from './schemas.ts';

const bodyErrors = [400, 401, 403, 404, 413, 415, 422, 429] as const;

/** Members of an organization (`/organizations/{id}/members`): any member lists them; `members_manage` changes roles and removes; anyone may leave. */
export function memberRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const members = createRoute({
    method: 'get',
    path: '/organizations/{id}/members',
    tags: ['members'],
    operationId: 'listMembers',
    summary: 'Members and their roles',
    ...secured,
    request: { params: OrgParams, query: PageQuery },
    responses: {
      200: { description: 'Oldest membership first.', ...json(listOf(Member)) },
      ...errorResponses([401, 404, 422, 429]),
    },
  });
  app.openapi(members, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await listMembers(deps.db, await inOrg(deps, c), { limit, cursor });
    return c.json(
      listPage(rows, limit, presentMember, (m) => m.user_id),
      200,
    );
  });

  const changeRole = createRoute({
    method: 'patch',
    path: '/organizations/{id}/members/{userId}',
    tags: ['members'],
    operationId: 'changeMemberRole',
    summary: "Change a member's role (needs `members_manage`)",
    ...secured,
    request: { params: MemberParams, body: { required: true, ...json(ChangeRoleRequest) } },
    responses: {
      200: { description: 'The member with the new role; it applies from their next request.', ...json(Member) },
      ...errorResponses([...bodyErrors], {
        403: 'Missing `members_manage`, or the member holds permissions (or the owner role) you do not.',
        422: 'Invalid, or a role granting permissions you do not hold, or the last owner: `validation_failed`, `last_owner`.',
      }),
    },
  });
  app.openapi(changeRole, async (c) => {
    const actor = await inOrg(deps, c);
    await changeMemberRole(deps, actor, { userId: c.req.param('userId'), values: c.req.valid('json') });
    return c.json(presentMember(await getMember(deps.db, actor, c.req.param('userId'))), 200);
  });

  const remove = createRoute({
    method: 'delete',
    path: '/organizations/{id}/members/{userId}',
    tags: ['members'],
    operationId: 'removeMember',
    summary: 'Remove a member (needs `members_manage`), or leave (your own id)',
    ...secured,
    request: { params: MemberParams },
    responses: {
      204: { description: 'Removed.' },
      ...errorResponses([401, 403, 404, 422, 429], { 422: '`last_owner` or `personal_organization`.' }),
    },
  });
  app.openapi(remove, async (c) => {
    await removeMember(deps, await inOrg(deps, c), c.req.param('userId'));
    return c.body(null, 204);
  });

  return app;
}
