import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { EVENTS_CHANNEL } from '../../db/notify.ts';
import { toDecimal } from '../../lib/money.ts';
import { emitWebhookEvent } from '../webhooks/emit.ts';
import { OWNER_ROLE, type Permission } from '../access/permissions.ts';
import { NOTIFICATION_KINDS, type NotificationData, type NotificationKind } from './kinds.ts';

/**
 * Writing notifications (issue 14 item 6): who is told of an event, in one statement that
 * picks the recipients, inserts a row each and announces each on the realtime channel
 * (`notification` to that user: the bell re-reads its count). Call it with the transaction of
 * the event, so a rolled-back event tells nobody and the SSE hint goes out at commit.
 *
 * Recipients follow permissions, not only the actor: an organization's event goes to its
 * active members whose role holds one of `permissions` (vps_view for servers, billing_view for
 * money…), but `except` (who did it: they know). A person who muted the category
 * (users.inbox_<category>, preferences.ts) is skipped; security is never muted.
 *
 * `key` names the event, so emitting it again (a retried job, a second run, a replayed
 * webhook) tells nobody twice: one row per (user, key). Keys that are not a globally unique
 * id must name the organization too (a person may belong to several).
 */
export interface Emission {
  kind: NotificationKind;
  key: string;
  data?: NotificationData;
  /** Names added to `data` by the statement itself: `actor` (a user's name), `organization` (its name). */
  names?: { actorUserId?: string | null; organizationId?: string | null };
}

export type Recipients =
  /** Members of the organization whose role holds any of `permissions`; the notification belongs to it. */
  | { organizationId: string; permissions: readonly Permission[]; except?: string | null }
  /** The organization's owners (the predefined owner role); the notification belongs to it. */
  | { organizationId: string; owners: true }
  /** One person, about their own account (no organization). */
  | { userId: string }
  /** Whoever has an account with this address (an invitee), about their own account. */
  | { email: string };

/** Writes the notifications of one event; returns how many people were told (0 when already told). */
export async function notify(db: DbOrTx, to: Recipients, e: Emission): Promise<number> {
  const category = NOTIFICATION_KINDS[e.kind];
  const wants = category === 'security' ? sql`true` : sql.ref(`u.inbox_${category}`);
  const organizationId = 'organizationId' in to ? to.organizationId : null;
  const recipients =
    'organizationId' in to
      ? sql`
          select distinct u.id
          from organization_members m
          join roles r on r.id = m.role_id
          join users u on u.id = m.user_id
          where m.organization_id = ${to.organizationId}
            and ${
              'owners' in to
                ? sql`r.predefined and r.name = ${OWNER_ROLE}`
                : sql`r.permissions && ${[...to.permissions]}::text[] and u.id is distinct from ${to.except ?? null}::uuid`
            }
            and u.status = 'active' and ${wants}`
      : 'userId' in to
        ? sql`select u.id from users u where u.id = ${to.userId} and u.status = 'active' and ${wants}`
        : sql`select u.id from users u where lower(u.email) = lower(${to.email}) and u.status = 'active' and ${wants}`;
  const { rows } = await sql<{ notified: unknown }>`
    with recipients as (${recipients}),
    names as (
      select jsonb_strip_nulls(jsonb_build_object(
        'actor', (select name from users where id = ${e.names?.actorUserId ?? null}::uuid),
        'organization', (select name from organizations where id = ${e.names?.organizationId ?? null}::uuid)
      )) as v
    ),
    made as (
      insert into notifications (user_id, organization_id, category, kind, data, dedupe_key)
      select r.id, ${organizationId}::uuid, ${category}, ${e.kind}, names.v || ${JSON.stringify(e.data ?? {})}::jsonb, ${e.key}
      from recipients r, names
      on conflict (user_id, dedupe_key) do nothing
      returning id, user_id
    )
    select pg_notify(${EVENTS_CHANNEL}, json_build_object(
      'topic', 'notification', 'audience', json_build_object('userId', user_id), 'data', json_build_object('id', id)
    )::text) as notified
    from made
  `.execute(db);
  return rows.length;
}

/** The organization's members who may see its servers. */
export const serverWatchers = (organizationId: string, except?: string | null): Recipients => ({
  organizationId,
  permissions: ['vps_view'],
  except,
});

/** The organization's members who may see its money. */
export const billingWatchers = (organizationId: string): Recipients => ({
  organizationId,
  permissions: ['billing_view'],
});

/** A server is running for the first time (its provider finished setting it up): everyone who sees servers. */
export async function notifyServerRunning(
  db: DbOrTx,
  server: { id: string; organization_id: string; label: string; updated_at?: Date },
): Promise<number> {
  // The webhook event is sent each time the server comes up (keyed by the change); the bell once per server.
  await emitWebhookEvent(db, {
    organizationId: server.organization_id,
    type: 'vps.running',
    key: `vps.running:${server.id}:${server.updated_at?.toISOString() ?? 'first'}`,
    data: { server_id: server.id, label: server.label },
  });
  return notify(db, serverWatchers(server.organization_id), {
    kind: 'server.running',
    key: `server.running:${server.id}`,
    data: { server_id: server.id, label: server.label },
    names: { organizationId: server.organization_id },
  });
}

/** Money arrived in the wallet (a PayPal capture credited): everyone who sees billing. */
export async function notifyTopUp(
  db: DbOrTx,
  input: { organizationId: string; paymentId: string; amount: bigint; currency: string },
): Promise<number> {
  await emitWebhookEvent(db, {
    organizationId: input.organizationId,
    type: 'wallet.credited',
    key: `wallet.credited:${input.paymentId}`,
    data: { payment_id: input.paymentId, amount: toDecimal(input.amount, 6), currency: input.currency },
  });
  return notify(db, billingWatchers(input.organizationId), {
    kind: 'billing.top_up',
    key: `top_up:${input.paymentId}`,
    data: { amount: input.amount.toString(), currency: input.currency },
    names: { organizationId: input.organizationId },
  });
}

/** A low-balance or runway reminder (reminders.ts, at most once a day each): everyone who sees billing. */
export async function notifyReminder(
  db: DbOrTx,
  input: {
    organizationId: string;
    kind: 'low_balance' | 'runway_7' | 'runway_3';
    day: string;
    balance: bigint;
    currency: string;
  },
): Promise<number> {
  const runway = input.kind !== 'low_balance';
  if (!runway)
    await emitWebhookEvent(db, {
      organizationId: input.organizationId,
      type: 'wallet.low',
      key: `wallet.low:${input.day}`,
      data: { balance: toDecimal(input.balance, 6), currency: input.currency, day: input.day },
    });
  return notify(db, billingWatchers(input.organizationId), {
    kind: runway ? 'billing.runway' : 'billing.low_balance',
    key: `reminder:${input.organizationId}:${input.kind}:${input.day}`,
    data: {
      balance: input.balance.toString(),
      currency: input.currency,
      ...(runway ? { days: input.kind === 'runway_3' ? 3 : 7 } : {}),
    },
    names: { organizationId: input.organizationId },
  });
}

const DUNNING_KINDS = {
  arrears: 'billing.arrears',
  suspension: 'billing.suspension',
  final_notice: 'billing.final_notice',
  termination: 'billing.termination',
} as const;

/**
 * A dunning step of the organization's open case (dunning/notices.ts, beside its email). The
 * arrears notice is told once per case (its email repeats daily; the bell need not); the
 * others once per case and deadline. Arrears go to who sees billing; a suspension, final
 * notice or deletion also to who sees servers.
 */
export async function notifyDunning(
  db: DbOrTx,
  org: { id: string; balance: bigint; currency: string },
  step: keyof typeof DUNNING_KINDS,
  facts: { servers?: number; terminateAt?: string | null },
): Promise<number> {
  const open = await db
    .selectFrom('dunning_cases')
    .select('id')
    .where('organization_id', '=', org.id)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  const event = open ? `${open.id}:${step}` : `${org.id}:${step}:${new Date().toISOString().slice(0, 10)}`;
  // Once per arrears case (its email repeats daily; the bell and the webhook need not).
  if (step === 'arrears')
    await emitWebhookEvent(db, {
      organizationId: org.id,
      type: 'wallet.arrears',
      key: `wallet.arrears:${event}`,
      data: { balance: toDecimal(org.balance, 6), currency: org.currency, dunning_case_id: open?.id ?? null },
    });
  return notify(
    db,
    {
      organizationId: org.id,
      permissions: step === 'arrears' ? ['billing_view'] : ['billing_view', 'vps_view'],
    },
    {
      kind: DUNNING_KINDS[step],
      key: `dunning:${event}${step === 'arrears' ? '' : `:${facts.terminateAt ?? ''}`}`,
      data: {
        balance: org.balance.toString(),
        currency: org.currency,
        servers: facts.servers ?? null,
        terminate_at: facts.terminateAt ?? null,
      },
      names: { organizationId: org.id },
    },
  );
}
