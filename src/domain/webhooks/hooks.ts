import type { DbOrTx } from '../../db/index.ts';
import type { ActivityAction, ActivityEntry } from '../activity/record.ts';
import { emitWebhookEvent } from './emit.ts';

/**
 * Where the documented events come from (README "Webhooks", events.ts). Each is emitted in
 * the transaction of the change, keyed so a retried job or a second run emits it once:
 *
 *   vps.created, vps.deleted, vps.suspended, ticket.opened   the activity entry (below)
 *   vps.running                      servers/instance.ts, via notifications/emit.ts notifyServerRunning
 *   wallet.credited                  payments/settlement.ts, via notifyTopUp
 *   wallet.low / wallet.arrears      notifications/emit.ts notifyReminder / notifyDunning
 *   invoice.issued                   invoices/issue.ts insertInvoice
 *   ticket.replied                   support/tickets.ts replyToTicket, support/staff.ts (not internal notes)
 *   hosting.service.*                hosting/saga-end.ts (active, failed), suspension.ts, cancel.ts
 */

const str = (v: unknown) => (v === undefined || v === null ? null : String(v));

type Rule = (e: ActivityEntry, id: string) => { type: string; key: string; data: Record<string, unknown> } | null;

const server =
  (
    type: string,
    key: (e: ActivityEntry, id: string) => string,
    extra: (e: ActivityEntry) => object = () => ({}),
  ): Rule =>
  (e, id) =>
    e.target?.type === 'server'
      ? { type, key: key(e, id), data: { server_id: e.target.id, label: str(e.details?.name), ...extra(e) } }
      : null;

const RULES: Partial<Record<ActivityAction, Rule>> = {
  'server.created': server(
    'vps.created',
    (_e, id) => `activity:${id}`,
    (e) => ({ plan: str(e.details?.plan), region: str(e.details?.region), image: str(e.details?.image) }),
  ),
  'server.deleted': server(
    'vps.deleted',
    (e) => `vps.deleted:${e.target!.id}`,
    (e) => ({ by: e.actorUserId ? 'member' : 'system', reason: str(e.details?.reason) }),
  ),
  'admin.server_deleted': server(
    'vps.deleted',
    (e) => `vps.deleted:${e.target!.id}`,
    (e) => ({ by: 'staff', reason: str(e.details?.reason) }),
  ),
  'server.suspended': server(
    'vps.suspended',
    (_e, id) => `activity:${id}`,
    (e) => ({ reason: str(e.details?.reason) }),
  ),
  'ticket.opened': (e, id) =>
    e.target?.type === 'ticket'
      ? {
          type: 'ticket.opened',
          key: `activity:${id}`,
          data: {
            ticket_id: e.target.id,
            number: str(e.details?.name)?.replace(/^#/, '') ?? null,
            subject: str(e.details?.subject),
            priority: str(e.details?.priority),
          },
        }
      : null,
};

/** Whether an activity entry of this kind is a webhook event (recordActivity asks before it needs the entry's id). */
export function emitsFromActivity(action: ActivityAction): boolean {
  return action in RULES;
}

/** Emits the webhook event an activity entry stands for (see the table above); `id` is the entry's. */
export async function webhookFromActivity(db: DbOrTx, entry: ActivityEntry, id: string): Promise<void> {
  if (!entry.organizationId) return;
  const made = RULES[entry.action]?.(entry, id);
  if (made) await emitWebhookEvent(db, { organizationId: entry.organizationId, ...made, at: entry.occurredAt });
}

/** A hosting service changed status (hosting.service.active|failed|suspended|cancelled). */
export async function emitHostingEvent(
  db: DbOrTx,
  service: { id: string; organization_id: string },
  status: 'active' | 'failed' | 'suspended' | 'cancelled',
  opts: { key: string; at?: Date; facts?: Record<string, unknown> },
): Promise<void> {
  const row = await db
    .selectFrom('hosting_services')
    .select(['domain'])
    .where('id', '=', service.id)
    .executeTakeFirst();
  await emitWebhookEvent(db, {
    organizationId: service.organization_id,
    type: `hosting.service.${status}`,
    key: opts.key,
    at: opts.at,
    data: { service_id: service.id, domain: row?.domain ?? null, status, ...opts.facts },
  });
}
