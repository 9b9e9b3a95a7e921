import { z } from '@hono/zod-openapi';
import { actionLabel } from '../../../../domain/activity/describe.ts';
import type { ActivityRow } from '../../../../domain/activity/query.ts';
import { ACTIVITY_ACTIONS } from '../../../../domain/activity/record.ts';
import { PageQuery } from '../pagination.ts';
import { Timestamp } from '../schemas.ts';

const Person = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  email: z.string().nullable().openapi({ description: 'Null when the account no longer exists.' }),
});
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

const when = z.string().openapi({
  description: 'A date (YYYY-MM-DD, whole day in UTC) or an ISO 8601 date-time; inclusive.',
  example: '2026-01-31',
});
export const ActivityQuery = PageQuery.extend({
  action: z.enum(ACTIVITY_ACTIONS).optional().openapi({ description: 'Only this kind of event.' }),
  from: when.optional(),
  to: when.optional(),
});

export function presentEvent(r: ActivityRow): z.infer<typeof ActivityEvent> {
  const person = (id: string | null, name: string | null, email: string | null) => (id ? { id, name, email } : null);
  return ActivityEvent.parse({
    id: r.id,
    occurred_at: r.occurred_at.toISOString(),
    action: r.action,
    description: actionLabel(r.action),
    actor: person(r.actor_user_id, r.actor_name, r.actor_email),
    impersonator: person(r.impersonator_user_id, r.impersonator_name, r.impersonator_email),
    organization_id: r.organization_id,
    target: r.target_type && r.target_id ? { type: r.target_type, id: r.target_id } : null,
    ip: r.ip,
    user_agent: r.user_agent,
    details: r.details ?? {},
  });
}
