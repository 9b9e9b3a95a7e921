import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { createRole, deleteRole, getRole, listRoles, updateRole } from '../../../../domain/organizations/roles.ts';
import type { AppDeps } from '../../../context.ts';
import { inOrg, secured } from '../bearer-auth.ts';
import { OrgParams } from '../organizations/schemas.ts';
import { listOf, listPage, PageQuery } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { CreateRoleRequest, presentRole, Role, RoleParams, UpdateRoleRequest } from './schemas.ts';

const writeErrors = errorResponses([400, 401, 403, 404, 413, 415, 422, 429], {
  403: 'Missing `members_manage`, or the role grants permissions you do not hold.',
  422: 'Invalid, a duplicate name, a permission you do not hold, or a predefined role (`role_read_only`).',
});

/** Roles: any member lists them; members_manage creates, edits and deletes custom roles. */
export function roleRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const list = createRoute({
    method: 'get',
    path: '/organizations/{id}/roles',
    tags: ['roles'],
    operationId: 'listRoles',
    summary: 'Roles of an organization, predefined and custom',
    ...secured,
    request: { params: OrgParams, query: PageQuery },
    responses: {
      200: { description: 'Oldest first.', ...json(listOf(Role)) },
      ...errorResponses([401, 404, 422, 429]),
    },
  });
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await listRoles(deps.db, await inOrg(deps, c), { limit, cursor });
    return c.json(
      listPage(rows, limit, presentRole, (r) => r.id),
      200,
    );
  });

  const create = createRoute({
    method: 'post',
    path: '/organizations/{id}/roles',
    tags: ['roles'],
    operationId: 'createRole',
    summary: 'Create a custom role (needs `members_manage`)',
    ...secured,
    request: { params: OrgParams, body: { required: true, ...json(CreateRoleRequest) } },
    responses: { 201: { description: 'Created.', ...json(Role) }, ...writeErrors },
  });
  app.openapi(create, async (c) => {
    const actor = await inOrg(deps, c);
    const role = await createRole(deps, actor, c.req.valid('json'));
    return c.json(presentRole(await getRole(deps.db, actor, role.id)), 201);
  });

  const update = createRoute({
    method: 'patch',
    path: '/organizations/{id}/roles/{roleId}',
    tags: ['roles'],
    operationId: 'updateRole',
    summary: 'Rename a custom role or replace its permissions (needs `members_manage`)',
    ...secured,
    request: { params: RoleParams, body: { required: true, ...json(UpdateRoleRequest) } },
    responses: {
      200: { description: 'Updated; members holding it get the new permissions on their next request.', ...json(Role) },
      ...writeErrors,
    },
  });
  app.openapi(update, async (c) => {
    const actor = await inOrg(deps, c);
    const role = await updateRole(deps, actor, { roleId: c.req.param('roleId'), values: c.req.valid('json') });
    return c.json(presentRole(await getRole(deps.db, actor, role.id)), 200);
  });

  const remove = createRoute({
    method: 'delete',
    path: '/organizations/{id}/roles/{roleId}',
    tags: ['roles'],
    operationId: 'deleteRole',
    summary: 'Delete an unused custom role (needs `members_manage`)',
    ...secured,
    request: { params: RoleParams },
    responses: {
      204: { description: 'Deleted.' },
      ...errorResponses([401, 403, 404, 422, 429], {
        422: '`role_in_use` (members or pending invitations hold it) or `role_read_only`.',
      }),
    },
  });
  app.openapi(remove, async (c) => {
    await deleteRole(deps, await inOrg(deps, c), c.req.param('roleId'));
    return c.body(null, 204);
  });

  return app;
}
