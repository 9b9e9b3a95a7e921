import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { orgActor } from '../../../domain/access/organization.ts';
import { changeMemberRole, getMember, listMembers, removeMember } from '../../../domain/organizations/members.ts';
import { createOwnOrganization, getOrganization, listMyOrganizations, updateOrganizationSettings } from '../../../domain/organizations/organizations.ts';
import type { AppDeps } from '../../context.ts';
import { invitationRoutes } from './invitations.ts';
import { caller, inOrg, json, OrganizationDetail, OrgParams, pathParam, presentOrganizationDetail, secured } from './organization-shared.ts';
import { roleRoutes } from './roles.ts';
import { errorResponses, listOf, page, PageQuery, Timestamp } from './schemas.ts';

/**
 * Organizations and their members. Every `{id}` route acts in THAT organization with the
 * caller's role there (`orgActor`): not a member → 404; an API key → only its own
 * organization, never beyond its permissions. Bodies are read through their schema, so
 * stray fields (role, is_admin, owner_id, organization_id…) never reach the domain.
 */

const Member = z
  .object({
    user_id: z.uuid(),
    name: z.string(),
    email: z.string().openapi({ format: 'email' }),
    role: z.object({ id: z.uuid(), name: z.string(), predefined: z.boolean() }),
    joined_at: Timestamp,
  })
  .openapi('Member');

function presentMember(m: { user_id: string; name: string; email: string; role_id: string; role_name: string; role_predefined: boolean; joined_at: Date }): z.infer<typeof Member> {
  return Member.parse({ user_id: m.user_id, name: m.name, email: m.email, role: { id: m.role_id, name: m.role_name, predefined: m.role_predefined }, joined_at: m.joined_at.toISOString() });
}

const CreateOrganizationRequest = z.object({ name: z.string().openapi({ example: 'Acme Hosting', description: '1 to 100 characters.' }) }).openapi('CreateOrganizationRequest');
const UpdateOrganizationRequest = z
  .object({
    name: z.string().optional(),
    website: z.string().nullable().optional().openapi({ description: 'http(s) URL; empty or null clears it.' }),
    address: z.string().nullable().optional(),
    tax_id: z.string().nullable().optional(),
  })
  .openapi('UpdateOrganizationRequest');
const ChangeRoleRequest = z.object({ role_id: z.uuid().openapi({ description: 'A role of this organization you may grant.' }) }).openapi('ChangeRoleRequest');
const MemberParams = OrgParams.extend({ userId: pathParam('userId', 'The member’s user id.') });

const bodyErrors = [400, 401, 403, 404, 413, 415, 422, 429] as const;

export function organizationRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const list = createRoute({
    method: 'get', path: '/organizations', tags: ['organizations'], operationId: 'listOrganizations', summary: 'The organizations the caller belongs to', ...secured,
    request: { query: PageQuery },
    responses: { 200: { description: 'Oldest first. An API key sees only its own organization.', ...json(listOf(OrganizationDetail)) }, ...errorResponses([401, 422, 429]) },
  });
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await listMyOrganizations(deps.db, caller(c), { limit, cursor });
    return c.json(page(rows, limit, (r) => presentOrganizationDetail({ ...r, role: r.role }), (r) => r.id), 200);
  });

  const create = createRoute({
    method: 'post', path: '/organizations', tags: ['organizations'], operationId: 'createOrganization', summary: 'Create an organization owned by the caller', ...secured,
    request: { body: { required: true, ...json(CreateOrganizationRequest) } },
    responses: { 201: { description: 'Created, with predefined roles and an empty wallet; the caller is its owner.', ...json(OrganizationDetail) }, ...errorResponses([...bodyErrors].filter((s) => s !== 404), { 403: 'API keys cannot create organizations.' }) },
  });
  app.openapi(create, async (c) => {
    const org = await createOwnOrganization(deps, caller(c), { values: c.req.valid('json') });
    return c.json(presentOrganizationDetail(await getOrganization(deps.db, await orgActor(deps.db, caller(c), org.id))), 201);
  });

  const get = createRoute({
    method: 'get', path: '/organizations/{id}', tags: ['organizations'], operationId: 'getOrganization', summary: 'One organization the caller belongs to', ...secured,
    request: { params: OrgParams },
    responses: { 200: { description: 'The organization.', ...json(OrganizationDetail) }, ...errorResponses([401, 404, 429]) },
  });
  app.openapi(get, async (c) => c.json(presentOrganizationDetail(await getOrganization(deps.db, await inOrg(deps, c))), 200));

  const update = createRoute({
    method: 'patch', path: '/organizations/{id}', tags: ['organizations'], operationId: 'updateOrganization', summary: 'Edit organization settings (needs `settings_manage`)', ...secured,
    request: { params: OrgParams, body: { required: true, ...json(UpdateOrganizationRequest) } },
    responses: { 200: { description: 'The updated organization.', ...json(OrganizationDetail) }, ...errorResponses([...bodyErrors]) },
  });
  app.openapi(update, async (c) => {
    const org = await updateOrganizationSettings(deps, await inOrg(deps, c), { values: c.req.valid('json'), partial: true });
    return c.json(presentOrganizationDetail(org), 200);
  });

  const members = createRoute({
    method: 'get', path: '/organizations/{id}/members', tags: ['members'], operationId: 'listMembers', summary: 'Members and their roles', ...secured,
    request: { params: OrgParams, query: PageQuery },
    responses: { 200: { description: 'Oldest membership first.', ...json(listOf(Member)) }, ...errorResponses([401, 404, 422, 429]) },
  });
  app.openapi(members, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await listMembers(deps.db, await inOrg(deps, c), { limit, cursor });
    return c.json(page(rows, limit, presentMember, (m) => m.user_id), 200);
  });

  const changeRole = createRoute({
    method: 'patch', path: '/organizations/{id}/members/{userId}', tags: ['members'], operationId: 'changeMemberRole', summary: "Change a member's role (needs `members_manage`)", ...secured,
    request: { params: MemberParams, body: { required: true, ...json(ChangeRoleRequest) } },
    responses: {
      200: { description: 'The member with the new role; it applies from their next request.', ...json(Member) },
      ...errorResponses([...bodyErrors], { 403: 'Missing `members_manage`, or the member holds permissions (or the owner role) you do not.', 422: 'Invalid, or a role granting permissions you do not hold, or the last owner: `validation_failed`, `last_owner`.' }),
    },
  });
  app.openapi(changeRole, async (c) => {
    const actor = await inOrg(deps, c);
    await changeMemberRole(deps, actor, { userId: c.req.param('userId'), values: c.req.valid('json') });
    return c.json(presentMember(await getMember(deps.db, actor, c.req.param('userId'))), 200);
  });

  const remove = createRoute({
    method: 'delete', path: '/organizations/{id}/members/{userId}', tags: ['members'], operationId: 'removeMember', summary: 'Remove a member (needs `members_manage`), or leave (your own id)', ...secured,
    request: { params: MemberParams },
    responses: { 204: { description: 'Removed.' }, ...errorResponses([401, 403, 404, 422, 429], { 422: '`last_owner` or `personal_organization`.' }) },
  });
  app.openapi(remove, async (c) => {
    await removeMember(deps, await inOrg(deps, c), c.req.param('userId'));
    return c.body(null, 204);
  });

  app.route('/', invitationRoutes(deps));
  app.route('/', roleRoutes(deps));
  return app;
}
