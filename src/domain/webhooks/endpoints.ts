import { z } from 'zod';
import { inTransaction, type DbOrTx, type Tx } from '../../db/index.ts';
import type { Selectable } from 'kysely';
import type { WebhookEndpointsTable } from '../../db/types.ts';
import { encryptSecret } from '../../lib/crypto.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { checkTarget } from '../../lib/outbound-http.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { webhookLoopbackAllowed } from '../settings/platform.ts';
import { isSubscribable } from './events.ts';
import { newSecret, secretHint } from './signing.ts';

/**
 * An organization's webhook endpoints (issue 18 item 3): members with `settings_manage` add,
 * change, disable, re-enable and delete them, and rotate their secret. The secret is shown
 * only in the answer that made it (create, rotate) and kept sealed with the app's keyring,
 * as deliveries must be signed with it. Every change is in the activity log (never the secret).
 *
 * Status: `active` (deliveries are made) → `disabled` (by a member, or by the delivery job
 * when a delivery failed for a day: disabled_reason says which) → `active` again by a member.
 */

export type WebhookDeps = Pick<Deps, 'db' | 'clock' | 'config'>;

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  status: 'active' | 'disabled';
  disabledReason: string | null;
  disabledAt: Date | null;
  secretHint: string;
  createdAt: Date;
  updatedAt: Date;
}

/** At most this many endpoints per organization. */
export const MAX_ENDPOINTS = 20;
export const NO_SUCH_ENDPOINT = 'No such webhook endpoint.';

type EndpointRow = Selectable<WebhookEndpointsTable>;

export const present = (r: EndpointRow): WebhookEndpointView => ({
  id: r.id,
  url: r.url,
  description: r.description,
  events: r.events,
  status: r.status,
  disabledReason: r.disabled_reason,
  disabledAt: r.disabled_at,
  secretHint: r.secret_hint,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const events = z
  .array(z.string({ error: 'Choose events from the list.' }).max(100), { error: 'Choose at least one event.' })
  .min(1, 'Choose at least one event.')
  .max(50, 'Choose at most 50 events.')
  .refine((list) => list.every(isSubscribable), 'Choose events from the list; one of these is not an event we send.')
  .transform((list) => [...new Set(list)]);
const url = z
  .string({ error: 'Enter the URL that receives the events.' })
  .trim()
  .min(1, 'Enter the URL that receives the events.')
  .max(2000, 'Use at most 2000 characters.');
const description = z
  .string({ error: 'Enter a description, or leave it empty.' })
  .trim()
  .max(200, 'Use at most 200 characters.')
  .nullish()
  .transform((d) => d || null);

const createInput = z.object({ url, events, description });
const updateInput = z.object({
  url: url.optional(),
  events: events.optional(),
  description,
  enabled: z.boolean({ error: 'Say true or false.' }).optional(),
});

/** The URL as stored, after H2's transport check: a refused target is a ValidationError on `url` a customer can act on. */
async function checkedUrl(db: DbOrTx, raw: string): Promise<string> {
  const result = await checkTarget(raw, { allowLoopback: await webhookLoopbackAllowed(db) });
  if (!result.ok) throw new ValidationError({ url: result.message });
  return result.url.toString();
}

export function selectEndpoint(db: DbOrTx, orgId: string, id: string) {
  return db.selectFrom('webhook_endpoints').selectAll().where('organization_id', '=', orgId).where('id', '=', id);
}

/** The endpoint row of the actor's organization, or NotFoundError (malformed and foreign ids alike). */
export async function endpointRow(db: DbOrTx, orgId: string, id: string): Promise<EndpointRow> {
  const row = isUuid(id) ? await selectEndpoint(db, orgId, id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError(NO_SUCH_ENDPOINT);
  return row;
}

/** The organization's endpoints, oldest first (needs `settings_manage`). */
export async function listEndpoints(db: DbOrTx, actor: Actor): Promise<WebhookEndpointView[]> {
  const orgId = authorize(actor, 'settings_manage');
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('organization_id', '=', orgId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(present);
}

export async function getEndpoint(db: DbOrTx, actor: Actor, id: string): Promise<WebhookEndpointView> {
  return present(await endpointRow(db, authorize(actor, 'settings_manage'), id));
}

/** Adds an endpoint; the answer carries its secret, the only time it is shown. */
export async function createEndpoint(
  deps: WebhookDeps,
  actor: Actor,
  raw: { url: string; events: string[]; description?: string | null },
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const orgId = authorize(actor, 'settings_manage');
  const input = parseInput(createInput, raw);
  const target = await checkedUrl(deps.db, input.url);
  const secret = newSecret();
  const now = deps.clock.now();
  const endpoint = await inTransaction(deps.db, async (trx) => {
    // One at a time per organization, so the limit holds under concurrent creates.
    await trx.selectFrom('organizations').select('id').where('id', '=', orgId).forUpdate().execute();
    const count = await trx
      .selectFrom('webhook_endpoints')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('organization_id', '=', orgId)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_ENDPOINTS)
      throw new ConflictError(`An organization may have at most ${MAX_ENDPOINTS} webhook endpoints; delete one first.`);
    const row = await trx
      .insertInto('webhook_endpoints')
      .values({
        organization_id: orgId,
        url: target,
        description: input.description,
        events: input.events,
        secret_ciphertext: encryptSecret(deps.config.encryptionKeys, secret),
        secret_hint: secretHint(secret),
        created_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actor, 'webhook.created', row, now, { url: row.url, events: row.events.join(' ') });
    return present(row);
  });
  return { endpoint, secret };
}

/**
 * Changes an endpoint. `enabled: false` disables it (its waiting deliveries end as failed: a
 * member turned it off); `enabled: true` re-enables a disabled one (deliveries resume with
 * the next event; failed ones can be redelivered by hand).
 */
export async function updateEndpoint(
  deps: WebhookDeps,
  actor: Actor,
  id: string,
  raw: { url?: string; events?: string[]; description?: string | null; enabled?: boolean },
): Promise<WebhookEndpointView> {
  const orgId = authorize(actor, 'settings_manage');
  await endpointRow(deps.db, orgId, id);
  const input = parseInput(updateInput, raw);
  const target = input.url === undefined ? undefined : await checkedUrl(deps.db, input.url);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const before = await endpointRow(trx, orgId, id);
    const status = input.enabled === undefined ? before.status : input.enabled ? 'active' : 'disabled';
    const statusChanged = status !== before.status;
    const row = await trx
      .updateTable('webhook_endpoints')
      .set({
        ...(target !== undefined ? { url: target } : {}),
        ...(input.events !== undefined ? { events: input.events } : {}),
        ...('description' in raw ? { description: input.description } : {}),
        ...(statusChanged
          ? status === 'active'
            ? { status, disabled_at: null, disabled_reason: null }
            : { status, disabled_at: now, disabled_reason: 'Disabled by a member of the organization.' }
          : {}),
        updated_at: now,
      })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (statusChanged && status === 'disabled') await endWaiting(trx, row.id, now, 'The endpoint was disabled.');
    await audit(trx, actor, 'webhook.updated', row, now, {
      url: row.url,
      events: row.events.join(' '),
      ...(statusChanged ? { status } : {}),
    });
    return present(row);
  });
}

/** Deletes an endpoint with its delivery log. */
export async function deleteEndpoint(deps: WebhookDeps, actor: Actor, id: string): Promise<void> {
  const orgId = authorize(actor, 'settings_manage');
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const row = await endpointRow(trx, orgId, id);
    await trx.deleteFrom('webhook_endpoints').where('id', '=', row.id).execute();
    await audit(trx, actor, 'webhook.deleted', row, now, { url: row.url });
  });
}

/** A new secret for the endpoint; the old one stops signing at once. The answer is the only time it is shown. */
export async function rotateSecret(
  deps: WebhookDeps,
  actor: Actor,
  id: string,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const orgId = authorize(actor, 'settings_manage');
  const secret = newSecret();
  const now = deps.clock.now();
  const endpoint = await inTransaction(deps.db, async (trx) => {
    const before = await endpointRow(trx, orgId, id);
    const row = await trx
      .updateTable('webhook_endpoints')
      .set({
        secret_ciphertext: encryptSecret(deps.config.encryptionKeys, secret),
        secret_hint: secretHint(secret),
        updated_at: now,
      })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actor, 'webhook.secret_rotated', row, now, { url: row.url });
    return present(row);
  });
  return { endpoint, secret };
}

/** Deliveries of an endpoint still waiting for an attempt end as failed with `reason` (it was disabled). */
export async function endWaiting(trx: Tx, endpointId: string, now: Date, reason: string): Promise<void> {
  await trx
    .updateTable('webhook_outbox')
    .set({ status: 'failed', next_attempt_at: null, last_error: reason })
    .where('endpoint_id', '=', endpointId)
    .where('status', 'in', ['pending', 'retrying'])
    .execute();
  // An attempt in flight now still records its answer (a success stays a success).
  void now;
}

async function audit(
  trx: Tx,
  actor: Actor,
  action: 'webhook.created' | 'webhook.updated' | 'webhook.deleted' | 'webhook.secret_rotated',
  row: EndpointRow,
  now: Date,
  details: Record<string, string>,
) {
  await recordActivity(
    trx,
    activityBy(actor, action, { target: { type: 'webhook_endpoint', id: row.id }, details, occurredAt: now }),
  );
}
