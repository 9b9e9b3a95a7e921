import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { can } from '../../../domain/access/actor.ts';
import { actionLabel } from '../../../domain/activity/describe.ts';
import { listActivity, parseActivityFilter, type ActivityRow } from '../../../domain/activity/query.ts';
import { ACTIVITY_ACTIONS } from '../../../domain/activity/record.ts';
import { ForbiddenError } from '../../../lib/errors.ts';
import type { AppDeps } from '../../context.ts';
import { BEARER, requireToken } from './bearer-auth.ts';
import { errorResponses, listOf, PageQuery, Timestamp } from './schemas.ts';

const Person = z.object({ id: z.uuid(), name: z.string().nullable(), email: z.string().nullable().openapi({ description: 'Null when the account no longer exists.' }) });
export const ActivityEvent = z
  .object({
    id: z.uuid(),
    occurred_at: Timestamp,
    action: z.string().openapi({ example: 'api_key.created' }),
    description: z.string().openapi({ example: 'Created an API key' }),
    actor: Person.nullable().openapi({ description: 'Who did it; null for a failed sign-in to an unknown account.' }),
    impersonator: Person.nullable().openapi({ description: 'The platform admin acting as `actor`, if any.' }),
    organization_id: z.uuid().nullable(),
    target: z.object({ type: z.string(), id: z.string() }).nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).openapi({ description: 'Small facts about the event; never secrets.' }),
  })
  .openapi('ActivityEvent');

const when = z.string().openapi({ description: 'A date (YYYY-MM-DD, whole day in UTC) or an ISO 8601 date-time; inclusive.', example: '2026-01-31' });
const ActivityQuery = PageQuery.extend({
  action: z.enum(ACTIVITY_ACTIONS).optional().openapi({ description: 'Only this kind of event.' }),
  from: when.optional(),
  to: when.optional(),
});

function presentEvent(r: ActivityRow): z.infer<typeof ActivityEvent> {
  const person = (id: string | null, name: string | null, email: string | null) => (id ? { id, name, email } : null);
  return ActivityEvent.parse({
    id: r.id, occurred_at: r.occurred_at.toISOString(), action: r.action, description: actionLabel(r.action),
    actor: person(r.actor_user_id, r.actor_name, r.actor_email), impersonator: person(r.impersonator_user_id, r.impersonator_name, r.impersonator_email),
    organization_id: r.organization_id, target: r.target_type && r.target_id ? { type: r.target_type, id: r.target_id } : null,
    ip: r.ip, user_agent: r.user_agent, details: r.details ?? {},
  });
}

/** The caller's organization's activity log; needs `settings_manage`, as the portal page does (see pages/portal/activity.ts). */
export function activityRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const listRoute = createRoute({
    method: 'get', path: '/activity', tags: ['activity'], operationId: 'listActivity',
    summary: "The organization's activity log, newest first (needs `settings_manage`)",
    middleware: [requireToken] as [MiddlewareHandler], security: [{ [BEARER]: [] }],
    request: { query: ActivityQuery },
    responses: {
      200: { description: 'One page of events.', content: { 'application/json': { schema: listOf(ActivityEvent).openapi('ActivityList') } } },
      ...errorResponses([401, 403, 404, 422, 429], { 403: 'The caller lacks `settings_manage` in this organization.', 404: '`X-Organization-Id` names an organization the caller is not in.' }),
    },
  });
  app.openapi(listRoute, async (c) => {
    const actor = c.var.actor;
    if (!actor?.organizationId || !can(actor, 'settings_manage')) throw new ForbiddenError("Reading the organization's activity needs the settings_manage permission.");
    const q = c.req.valid('query');
    const filter = parseActivityFilter({ action: q.action, from: q.from, to: q.to }, 'UTC');
    const page = await listActivity(deps.db, { organizationId: actor.organizationId }, filter, { limit: q.limit, cursor: q.cursor ?? null });
    return c.json({ data: page.rows.map(presentEvent), has_more: page.nextCursor !== null, next_cursor: page.nextCursor }, 200);
  });

  return app;
}
