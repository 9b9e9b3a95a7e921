import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  createCannedReply,
  deleteCannedReply,
  getCannedReply,
  listCannedReplies,
  updateCannedReply,
} from '../../../../../domain/support/canned.ts';
import {
  archiveCategory,
  createCategory,
  deleteCategory,
  getCategory,
  listAllCategories,
  restoreCategory,
  setDefaultCategory,
  updateCategory,
} from '../../../../../domain/support/categories.ts';
import { ConflictError } from '../../../../../lib/errors.ts';
import type { AppDeps } from '../../../../context.ts';
import { caller } from '../../bearer-auth.ts';
import { errorResponses, json } from '../../schemas.ts';
import { staff, tags } from './routes.ts';
import {
  CannedReply,
  CannedReplyRequest,
  CreateCategoryRequest,
  IdParams,
  presentCanned,
  presentCategory,
  StaffCategory,
  UpdateCannedReplyRequest,
  UpdateCategoryRequest,
} from './schemas.ts';

const CATEGORY = { 403: 'Not a platform admin’s access token.', 404: 'No such category.' };
const CANNED = { 403: 'Not a platform admin’s access token.', 404: 'No such canned reply.' };

/**
 * What the support staff keep beside the queue (as /admin/support does): ticket categories
 * (add, rename, position, archive/restore, choose the default, delete one never used) and
 * canned replies (title and body).
 */
export function adminSupportSettingRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  // Ticket categories.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/ticket-categories',
      tags,
      operationId: 'adminListTicketCategories',
      summary: 'Every ticket category: the live ones as customers see them (the default first), then the archived',
      ...staff,
      responses: {
        200: { description: 'The categories.', ...json(z.object({ data: z.array(StaffCategory) })) },
        ...errorResponses([401, 403, 429], CATEGORY),
      },
    }),
    async (c) => c.json({ data: (await listAllCategories(deps, caller(c))).map(presentCategory) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/ticket-categories',
      tags,
      operationId: 'adminCreateTicketCategory',
      summary: 'Add a ticket category',
      ...staff,
      request: { body: { required: true, ...json(CreateCategoryRequest) } },
      responses: {
        201: { description: 'The category.', ...json(StaffCategory) },
        ...errorResponses([400, 401, 403, 413, 415, 422, 429], {
          ...CATEGORY,
          422: '`validation_failed`: `name` (empty, too long, taken) or `position`.',
        }),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(presentCategory(await createCategory(deps, caller(c), body)), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/ticket-categories/{id}',
      tags,
      operationId: 'adminUpdateTicketCategory',
      summary: 'Rename, position, archive or restore a category, or make it the default',
      ...staff,
      request: { params: IdParams, body: { required: true, ...json(UpdateCategoryRequest) } },
      responses: {
        200: { description: 'The category.', ...json(StaffCategory) },
        ...errorResponses([400, 401, 403, 404, 409, 413, 415, 422, 429], {
          ...CATEGORY,
          409: '`conflict`: archiving the default, or making an archived category the default.',
        }),
      },
    }),
    async (c) => {
      const actor = caller(c);
      const current = await getCategory(deps, actor, c.req.valid('param').id);
      const id = current.id;
      const body = c.req.valid('json');
      // Refused before anything changes, so a refused request changes nothing.
      if (body.archived === true && (current.isDefault || body.is_default))
        throw new ConflictError('The default category cannot be archived: choose another default first.');
      if (body.is_default && current.archivedAt && body.archived !== false)
        throw new ConflictError('Restore the category before making it the default.');
      if (body.name !== undefined || body.position !== undefined)
        await updateCategory(deps, actor, id, { name: body.name, position: body.position });
      if (body.archived === false) await restoreCategory(deps, actor, id);
      if (body.is_default) await setDefaultCategory(deps, actor, id);
      if (body.archived === true) await archiveCategory(deps, actor, id);
      return c.json(presentCategory(await getCategory(deps, actor, id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/admin/ticket-categories/{id}',
      tags,
      operationId: 'adminDeleteTicketCategory',
      summary: 'Delete a category no ticket was ever filed in (otherwise archive it)',
      ...staff,
      request: { params: IdParams },
      responses: {
        204: { description: 'Deleted.' },
        ...errorResponses([401, 403, 404, 409, 429], {
          ...CATEGORY,
          409: '`conflict`: it has tickets (archive it instead), or it is the default.',
        }),
      },
    }),
    async (c) => {
      await deleteCategory(deps, caller(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  // Canned replies.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/canned-replies',
      tags,
      operationId: 'adminListCannedReplies',
      summary: 'Every canned reply, by title (`q`: those whose title or body contains it)',
      ...staff,
      request: { query: z.object({ q: z.string().max(200).optional() }) },
      responses: {
        200: { description: 'The canned replies.', ...json(z.object({ data: z.array(CannedReply) })) },
        ...errorResponses([401, 403, 422, 429], CANNED),
      },
    }),
    async (c) => {
      const rows = await listCannedReplies(deps, caller(c), { q: c.req.valid('query').q });
      return c.json({ data: rows.map(presentCanned) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/canned-replies',
      tags,
      operationId: 'adminCreateCannedReply',
      summary: 'Add a canned reply',
      ...staff,
      request: { body: { required: true, ...json(CannedReplyRequest) } },
      responses: {
        201: { description: 'The canned reply.', ...json(CannedReply) },
        ...errorResponses([400, 401, 403, 413, 415, 422, 429], {
          ...CANNED,
          422: '`validation_failed`: `title` (empty, too long, taken) or `body`.',
        }),
      },
    }),
    async (c) => c.json(presentCanned(await createCannedReply(deps, caller(c), c.req.valid('json'))), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/canned-replies/{id}',
      tags,
      operationId: 'adminGetCannedReply',
      summary: 'One canned reply',
      ...staff,
      request: { params: IdParams },
      responses: {
        200: { description: 'The canned reply.', ...json(CannedReply) },
        ...errorResponses([401, 403, 404, 429], CANNED),
      },
    }),
    async (c) => c.json(presentCanned(await getCannedReply(deps, caller(c), c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/canned-replies/{id}',
      tags,
      operationId: 'adminUpdateCannedReply',
      summary: 'Change a canned reply’s title or body',
      ...staff,
      request: { params: IdParams, body: { required: true, ...json(UpdateCannedReplyRequest) } },
      responses: {
        200: { description: 'The canned reply.', ...json(CannedReply) },
        ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429], CANNED),
      },
    }),
    async (c) =>
      c.json(
        presentCanned(await updateCannedReply(deps, caller(c), c.req.valid('param').id, c.req.valid('json'))),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/admin/canned-replies/{id}',
      tags,
      operationId: 'adminDeleteCannedReply',
      summary: 'Delete a canned reply (replies written with it keep their text)',
      ...staff,
      request: { params: IdParams },
      responses: {
        204: { description: 'Deleted.' },
        ...errorResponses([401, 403, 404, 429], CANNED),
      },
    }),
    async (c) => {
      await deleteCannedReply(deps, caller(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  return app;
}
