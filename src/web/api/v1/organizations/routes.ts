import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { orgActor } from '../../../../domain/access/organization.ts';
import {
  createOwnOrganization,
  getOrganization,
  listMyOrganizations,
  updateOrganizationSettings,
} from '../../../../domain/organizations/organizations.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, inOrg, secured } from '../bearer-auth.ts';
import { listOf, listPage, PageQuery } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import {
  CreateOrganizationRequest,
  OrganizationDetail,
  OrgParams,
  presentOrganizationDetail,
  UpdateOrganizationRequest,
} from './schemas.ts';

const bodyErrors = [400, 401, 403, 404, 413, 415, 422, 429] as const;

/**
 * Organizations. Every `{id}` route acts in THAT organization with the caller's role there
 * (`inOrg`): not a member → 404; an API key → only its own organization, never beyond its
 * permissions. Bodies are read through their schema, so stray fields (role, is_admin,
 * owner_id, organization_id…) never reach the domain. Members, invitations and roles of an
 * organization are their own resources (members/, invitations/, roles/).
 */
export function organizationRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const list = createRoute({
    method: 'get',
    path: '/organizations',
    tags: ['organizations'],
    operationId: 'listOrganizations',
    summary: 'The organizations the caller belongs to',
    ...secured,
    request: { query: PageQuery },
    responses: {
      200: {
        description: 'Oldest first. An API key sees only its own organization.',
        ...json(listOf(OrganizationDetail)),
      },
      ...errorResponses([401, 422, 429]),
    },
  });
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await listMyOrganizations(deps.db, caller(c), { limit, cursor });
    return c.json(
      listPage(
        rows,
        limit,
        (r) => presentOrganizationDetail({ ...r, role: r.role }),
        (r) => r.id,
      ),
      200,
    );
  });

  const create = createRoute({
    method: 'post',
    path: '/organizations',
    tags: ['organizations'],
    operationId: 'createOrganization',
    summary: 'Create an organization owned by the caller',
    ...secured,
    request: { body: { required: true, ...json(CreateOrganizationRequest) } },
    responses: {
      201: {
        description: 'Created, with predefined roles and an empty wallet; the caller is its owner.',
        ...json(OrganizationDetail),
      },
      ...errorResponses(
        [...bodyErrors].filter((s) => s !== 404),
        { 403: 'API keys cannot create organizations.' },
      ),
    },
  });
  app.openapi(create, async (c) => {
    const org = await createOwnOrganization(deps, caller(c), { values: c.req.valid('json') });
    return c.json(
      presentOrganizationDetail(await getOrganization(deps.db, await orgActor(deps.db, caller(c), org.id))),
      201,
    );
  });

  const get = createRoute({
    method: 'get',
    path: '/organizations/{id}',
    tags: ['organizations'],
    operationId: 'getOrganization',
    summary: 'One organization the caller belongs to',
    ...secured,
    request: { params: OrgParams },
    responses: {
      200: { description: 'The organization.', ...json(OrganizationDetail) },
      ...errorResponses([401, 404, 429]),
    },
  });
  app.openapi(get, async (c) =>
    c.json(presentOrganizationDetail(await getOrganization(deps.db, await inOrg(deps, c))), 200),
  );

  const update = createRoute({
    method: 'patch',
    path: '/organizations/{id}',
    tags: ['organizations'],
    operationId: 'updateOrganization',
    summary: 'Edit organization settings (needs `settings_manage`)',
    ...secured,
    request: { params: OrgParams, body: { required: true, ...json(UpdateOrganizationRequest) } },
    responses: {
      200: { description: 'The updated organization.', ...json(OrganizationDetail) },
      ...errorResponses([...bodyErrors]),
    },
  });
  app.openapi(update, async (c) => {
    const org = await updateOrganizationSettings(deps, await inOrg(deps, c), {
      values: c.req.valid('json'),
      partial: true,
    });
    return c.json(presentOrganizationDetail(org), 200);
  });

  return app;
}
