import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requirePlatformAdmin } from '../../../../../domain/access/guard.ts';
import { adminPlan, adminPlans } from '../../../../../domain/catalogue/admin.ts';
import { createPlan } from '../../../../../domain/catalogue/plans.ts';
import { patchPlan } from '../../../../../domain/catalogue/prices.ts';
import type { Actor } from '../../../../../domain/access/actor.ts';
import type { AppDeps } from '../../../../context.ts';
import { caller, requireToken, secured } from '../../bearer-auth.ts';
import { whole } from '../../catalogue/schemas.ts';
import { listOf } from '../../pagination.ts';
import { errorResponses, json } from '../../schemas.ts';
import {
  AdminPlanDetail,
  AdminPlanSchema,
  CreatePlanRequest,
  PlanParams,
  presentAdminPlan,
  presentPrice,
  UpdatePlanRequest,
} from './schemas.ts';

const requireStaff: MiddlewareHandler = async (c, next) => {
  requirePlatformAdmin(c.get('actor'));
  await next();
};
const staff = { ...secured, middleware: [requireToken, requireStaff] as [MiddlewareHandler, MiddlewareHandler] };
const REFUSED = { 403: 'Not a platform admin, or an API key.', 404: 'No such plan.' };

/** Server plans for staff over the API: list, create, read with price history, change (a price change is a new price row). */
export function adminPlanRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const tags = ['admin'];
  const detail = async (actor: Actor, id: string) => {
    const d = await adminPlan(deps.db, actor, id);
    return AdminPlanDetail.parse({ ...presentAdminPlan(d.plan), prices: d.history.map(presentPrice) });
  };

  const list = createRoute({
    method: 'get',
    path: '/admin/plans',
    tags,
    operationId: 'adminListPlans',
    summary: 'Every server plan, active or not, with the price in force now (platform admin access token only)',
    ...staff,
    responses: {
      200: { description: 'Every plan.', ...json(listOf(AdminPlanSchema)) },
      ...errorResponses([401, 403, 429], REFUSED),
    },
  });
  app.openapi(list, async (c) => c.json(whole((await adminPlans(deps.db, caller(c))).map(presentAdminPlan)), 200));

  const create = createRoute({
    method: 'post',
    path: '/admin/plans',
    tags,
    operationId: 'adminCreatePlan',
    summary: 'Create a plan from a provider type; its first price applies from the current hour',
    ...staff,
    request: { body: { required: true, ...json(CreatePlanRequest) } },
    responses: {
      201: { description: 'Created.', ...json(AdminPlanDetail) },
      ...errorResponses([400, 401, 403, 413, 415, 422, 429], {
        ...REFUSED,
        422: 'Invalid money, an unknown provider type, a region not allowed, an unknown category, or a name in use.',
      }),
    },
  });
  app.openapi(create, async (c) => {
    const b = c.req.valid('json');
    const plan = await createPlan(deps, caller(c), { ...b, active: b.active ?? true });
    return c.json(await detail(caller(c), plan.id), 201);
  });

  const one = createRoute({
    method: 'get',
    path: '/admin/plans/{id}',
    tags,
    operationId: 'adminGetPlan',
    summary: 'One plan with its price history',
    ...staff,
    request: { params: PlanParams },
    responses: {
      200: { description: 'The plan.', ...json(AdminPlanDetail) },
      ...errorResponses([401, 403, 404, 429], REFUSED),
    },
  });
  app.openapi(one, async (c) => c.json(await detail(caller(c), c.req.valid('param').id), 200));

  const patch = createRoute({
    method: 'patch',
    path: '/admin/plans/{id}',
    tags,
    operationId: 'adminUpdatePlan',
    summary: 'Change a plan; `markup` or `backups_price` add a new price from the next clock hour',
    description: 'Prices already in force are never edited: a price change is a new price row (see `prices`).',
    ...staff,
    request: { params: PlanParams, body: { required: true, ...json(UpdatePlanRequest) } },
    responses: {
      200: { description: 'Saved.', ...json(AdminPlanDetail) },
      ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429], REFUSED),
    },
  });
  app.openapi(patch, async (c) => {
    const id = c.req.valid('param').id;
    await patchPlan(deps, caller(c), { planId: id, values: c.req.valid('json') });
    return c.json(await detail(caller(c), id), 200);
  });
  return app;
}
