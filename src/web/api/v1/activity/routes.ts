import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { can } from '../../../../domain/access/actor.ts';
import { listActivity, parseActivityFilter } from '../../../../domain/activity/query.ts';
import { ForbiddenError } from '../../../../lib/errors.ts';
import type { AppDeps } from '../../../context.ts';
import { secured } from '../bearer-auth.ts';
import { listAnswer, listOf } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { ActivityEvent, ActivityQuery, presentEvent } from './schemas.ts';

/** The caller's organization's activity log; needs `settings_manage`, as the portal page does (see pages/portal/activity.ts). */
export function activityRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const listRoute = createRoute({
    method: 'get',
    path: '/activity',
    tags: ['activity'],
    operationId: 'listActivity',
    summary: "The organization's activity log, newest first (needs `settings_manage`)",
    ...secured,
    request: { query: ActivityQuery },
    responses: {
      200: { description: 'One page of events.', ...json(listOf(ActivityEvent).openapi('ActivityList')) },
      ...errorResponses([401, 403, 404, 422, 429], {
        403: 'The caller lacks `settings_manage` in this organization.',
        404: '`X-Organization-Id` names an organization the caller is not in.',
      }),
    },
  });
  app.openapi(listRoute, async (c) => {
    const actor = c.get('actor');
    if (!actor?.organizationId || !can(actor, 'settings_manage'))
      throw new ForbiddenError("Reading the organization's activity needs the settings_manage permission.");
    const q = c.req.valid('query');
    const filter = parseActivityFilter({ action: q.action, from: q.from, to: q.to }, 'UTC');
    const page = await listActivity(deps.db, { organizationId: actor.organizationId }, filter, {
      limit: q.limit,
      cursor: q.cursor ?? null,
    });
    return c.json(listAnswer(page.rows, page.nextCursor, presentEvent), 200);
  });

  return app;
}
