import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { decryptSecret } from '../../lib/crypto.ts';
import { postJson, type PostResult } from '../../lib/outbound-http.ts';
import { queueEmail } from '../../mail/queue.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { notify } from '../notifications/emit.ts';
import { organizationLink } from '../notifications/contacts.ts';
import { webhookLoopbackAllowed } from '../settings/platform.ts';
import { PING } from './events.ts';
import { deliveryHeaders } from './signing.ts';

/**
 * Delivering (issue 18 item 3). A delivery (event × endpoint) is the outbox row; an attempt is
 * made by whoever claims the row's lease (one UPDATE that succeeds for one caller only), so two
 * workers, on any number of processes, never send one attempt twice; a worker that dies
 * mid-send leaves a lease that runs out, and the next sweep sends again (at least once:
 * receivers dedupe by the event id).
 *
 *   pending   → succeeded   a 2xx answer (anything else, 3xx included, is a failure: redirects
 *             → retrying      are never followed); retried at 1, 2, 4, 8… minutes, at most an hour
 *   retrying  → succeeded     apart, until a day after the first attempt
 *             → failed      the day is over: the endpoint is disabled and the owners told (bell
 *                             and email); also when the endpoint is disabled or the ping failed
 *
 * Manual attempts (a redelivery by hand, the test ping) are made at once by the request and
 * recorded as such; a redelivery's failure does not touch the automatic schedule.
 */

export type DeliverDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'queue' | 'log'>;

export const LEASE_MS = 2 * 60_000;
export const FIRST_RETRY_MS = 60_000;
export const MAX_RETRY_MS = 60 * 60_000;
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
const BATCH = 10;
const MAX_BATCHES = 10;

/** The wait after `failed` automatic attempts have failed: 1 minute, doubling, at most an hour. */
export function retryDelay(failed: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(failed - 1, 0), MAX_RETRY_MS);
}

interface Claimed {
  id: string;
  token: string;
  endpoint_id: string;
  organization_id: string;
  url: string;
  secret_ciphertext: string;
  event_id: string;
  type: string;
  body: string;
  first_attempt_at: Date | null;
  attempts: number;
}

/** `due`: the sweep (waiting and due); `first`: the job the event enqueued (its first attempt, whatever the clocks say); `manual`: by hand. */
type Mode = 'due' | 'first' | 'manual';

/**
 * Takes the lease of delivery `id` for one attempt at `now`, or null: someone else holds it,
 * or (automatic attempts) it is not due, not waiting, or its endpoint is disabled.
 */
async function claim(db: DbOrTx, id: string, now: Date, mode: Mode): Promise<Claimed | null> {
  const due =
    mode === 'manual'
      ? sql`true`
      : mode === 'first'
        ? sql`d.status = 'pending' and d.attempts = 0 and e.status = 'active'`
        : sql`d.status in ('pending', 'retrying') and d.next_attempt_at <= ${now} and e.status = 'active'`;
  const { rows } = await sql<Claimed>`
    update webhook_outbox d
    set lease_token = gen_random_uuid(), lease_until = ${new Date(now.getTime() + LEASE_MS)}
    from webhook_endpoints e, webhook_events ev
    where d.id = ${id} and e.id = d.endpoint_id and ev.id = d.event_id
      and (d.lease_until is null or d.lease_until <= ${now})
      and ${due}
    returning d.id, d.lease_token as token, d.endpoint_id, d.organization_id, e.url, e.secret_ciphertext,
      ev.id as event_id, ev.type, ev.body, d.first_attempt_at, d.attempts
  `.execute(db);
  return rows[0] ?? null;
}

/** Sends the claimed attempt through the SSRF-safe transport (src/lib/outbound-http.ts). */
async function send(deps: DeliverDeps, c: Claimed, at: Date): Promise<PostResult> {
  const secret = decryptSecret(deps.config.encryptionKeys, c.secret_ciphertext);
  const policy = { allowLoopback: await webhookLoopbackAllowed(deps.db) };
  return postJson(c.url, c.body, deliveryHeaders(secret, { id: c.event_id, type: c.type }, c.body, at), { policy });
}

const succeeded = (r: PostResult) =>
  r.error === null && r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;

function errorOf(r: PostResult): string | null {
  if (r.error) return r.error.message.slice(0, 500);
  if (succeeded(r)) return null;
  return `The endpoint answered ${r.statusCode}${r.statusCode! >= 300 && r.statusCode! < 400 ? ' (redirects are not followed)' : ''}.`;
}

/** Records the attempt and moves the delivery on (see the module comment); returns its new status. */
async function record(
  deps: DeliverDeps,
  c: Claimed,
  at: Date,
  r: PostResult,
  manual: boolean,
): Promise<'succeeded' | 'retrying' | 'failed' | 'pending'> {
  const now = deps.clock.now();
  const ok = succeeded(r);
  const error = errorOf(r);
  return inTransaction(deps.db, async (trx) => {
    await trx
      .insertInto('webhook_attempts')
      .values({
        delivery_id: c.id,
        attempted_at: at,
        status_code: r.statusCode,
        error,
        duration_ms: Math.round(r.durationMs),
        manual,
      })
      .execute();
    const current = await trx
      .selectFrom('webhook_outbox as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select(['d.status', 'd.lease_token', 'd.first_attempt_at', 'd.attempts', 'e.status as endpoint_status'])
      .where('d.id', '=', c.id)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return 'failed';
    const last = { last_status_code: r.statusCode, last_error: error, last_duration_ms: Math.round(r.durationMs) };
    const release = { lease_token: null, lease_until: null };
    const mine = current.lease_token === c.token;
    const bump = { attempts: sql<number>`attempts + 1`, ...last, ...(mine ? release : {}) };
    if (ok) {
      await trx
        .updateTable('webhook_outbox')
        .set({ ...bump, status: 'succeeded', next_attempt_at: null, delivered_at: now })
        .where('id', '=', c.id)
        .execute();
      return 'succeeded';
    }
    if (c.type === PING) {
      await trx
        .updateTable('webhook_outbox')
        .set({ ...bump, status: 'failed', next_attempt_at: null })
        .where('id', '=', c.id)
        .execute();
      return 'failed';
    }
    if (manual || (current.status !== 'pending' && current.status !== 'retrying')) {
      await trx.updateTable('webhook_outbox').set(bump).where('id', '=', c.id).execute();
      return current.status;
    }
    const first = current.first_attempt_at ?? at;
    const deadline = first.getTime() + GIVE_UP_AFTER_MS;
    if (current.endpoint_status !== 'active' || now.getTime() >= deadline) {
      await trx
        .updateTable('webhook_outbox')
        .set({ ...bump, status: 'failed', next_attempt_at: null, first_attempt_at: first })
        .where('id', '=', c.id)
        .execute();
      if (current.endpoint_status === 'active') await disable(deps, trx, c, now, error ?? 'no answer');
      return 'failed';
    }
    const next = Math.min(now.getTime() + retryDelay(current.attempts + 1), deadline);
    await trx
      .updateTable('webhook_outbox')
      .set({ ...bump, status: 'retrying', next_attempt_at: new Date(next), first_attempt_at: first })
      .where('id', '=', c.id)
      .execute();
    return 'retrying';
  });
}

/**
 * A delivery failed for a day: the endpoint is disabled (once: the UPDATE that flips it tells),
 * its other waiting deliveries end as failed, and the organization's owners are told.
 */
async function disable(deps: DeliverDeps, trx: DbOrTx, c: Claimed, now: Date, lastError: string): Promise<void> {
  const reason = `Deliveries failed for 24 hours; the last attempt: ${lastError}`.slice(0, 500);
  const flipped = await trx
    .updateTable('webhook_endpoints')
    .set({ status: 'disabled', disabled_at: now, disabled_reason: reason, updated_at: now })
    .where('id', '=', c.endpoint_id)
    .where('status', '=', 'active')
    .returning(['id', 'url'])
    .executeTakeFirst();
  if (!flipped) return;
  await recordActivity(trx, {
    action: 'webhook.disabled',
    actorUserId: null,
    organizationId: c.organization_id,
    target: { type: 'webhook_endpoint', id: c.endpoint_id },
    details: { url: flipped.url, reason },
    occurredAt: now,
  });
  await trx
    .updateTable('webhook_outbox')
    .set({ status: 'failed', next_attempt_at: null, last_error: 'The endpoint was disabled.' })
    .where('endpoint_id', '=', c.endpoint_id)
    .where('id', '!=', c.id)
    .where('status', 'in', ['pending', 'retrying'])
    .execute();
  await notify(
    trx,
    { organizationId: c.organization_id, owners: true },
    {
      kind: 'webhooks.endpoint_disabled',
      key: `webhook.disabled:${c.endpoint_id}:${now.toISOString()}`,
      data: { endpoint_id: c.endpoint_id, url: flipped.url },
      names: { organizationId: c.organization_id },
    },
  );
  const owners = await trx
    .selectFrom('organization_members as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select(['u.email', 'u.name', 'o.name as organization'])
    .where('m.organization_id', '=', c.organization_id)
    .where('r.predefined', '=', true)
    .where('r.name', '=', 'owner')
    .where('u.status', '=', 'active')
    .execute();
  const webhookUrl = organizationLink(deps.config.publicUrl, c.organization_id, `/webhooks/${c.endpoint_id}`);
  for (const o of owners)
    await queueEmail(deps, trx, o.email, 'webhook_disabled', {
      name: o.name,
      organization: o.organization,
      url: flipped.url,
      reason,
      webhookUrl,
    });
}

/**
 * One attempt of delivery `id` if it can be claimed (automatic: only when due). Returns the
 * delivery's status afterwards, or null when nothing was sent (not due, or someone else's lease).
 */
export async function attemptDelivery(
  deps: DeliverDeps,
  id: string,
  mode: Mode = 'due',
): Promise<'succeeded' | 'retrying' | 'failed' | 'pending' | null> {
  const manual = mode === 'manual';
  const at = deps.clock.now();
  const claimed = await claim(deps.db, id, at, mode);
  if (!claimed) return null;
  let result: PostResult;
  try {
    result = await send(deps, claimed, at);
  } catch (err) {
    // postJson never throws for network trouble; a secret that no longer opens (its key removed) lands here.
    deps.log.error({ err, deliveryId: id }, 'webhook delivery could not be sent');
    result = {
      statusCode: null,
      durationMs: 0,
      body: '',
      error: { kind: 'protocol', message: 'The delivery could not be signed.' },
    };
  }
  return record(deps, claimed, at, result, manual);
}

/** How long the log keeps an event and its deliveries once none of them waits any more. */
export const KEEP_DAYS = 30;

/**
 * Deletes events older than KEEP_DAYS whose deliveries all ended (succeeded or failed), with
 * their deliveries and attempts; a batch per sweep, so a large backlog goes a little at a time.
 */
export async function purgeOldEvents(db: DbOrTx, now: Date): Promise<number> {
  const before = new Date(now.getTime() - KEEP_DAYS * 24 * 60 * 60_000);
  const { rows } = await sql<{ id: string }>`
    delete from webhook_events where id in (
      select e.id from webhook_events e
      where e.created_at < ${before}
        and not exists (select 1 from webhook_outbox d where d.event_id = e.id and d.status in ('pending', 'retrying'))
      limit 1000
    )
    returning id
  `.execute(db);
  return rows.length;
}

/** Every delivery due now (the schedule's sweep), a batch at a time; returns how many attempts were made. */
export async function deliverDue(deps: DeliverDeps): Promise<number> {
  let made = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const now = deps.clock.now();
    const due = await deps.db
      .selectFrom('webhook_outbox as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select('d.id')
      .where('d.status', 'in', ['pending', 'retrying'])
      .where('d.next_attempt_at', '<=', now)
      .where('e.status', '=', 'active')
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<=', now)]))
      .orderBy('d.next_attempt_at')
      .limit(BATCH)
      .execute();
    if (!due.length) break;
    const results = await Promise.all(due.map((d) => attemptDelivery(deps, d.id)));
    const sent = results.filter((r) => r !== null).length;
    made += sent;
    if (!sent || due.length < BATCH) break;
  }
  return made;
}
