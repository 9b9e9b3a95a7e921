import { encryptSecret } from '../../src/lib/crypto.ts';
import type { Call, Requirement } from './routes.ts';

/**
 * Webhook records for the matrix's webhook entries (routes-webhooks-api.ts and
 * routes-webhooks-pages.ts). Endpoints point at a documentation address (203.0.113.0/24), which
 * the transport refuses before connecting: pings and redeliveries are recorded as failed at
 * once, nothing leaves the machine.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const db = (c: Call) => c.fx.ctx.db;

/** The secret hint of every endpoint made here: a rotated secret has another. */
export const MATRIX_SECRET_HINT = 'whsec_…trix';

/**
 * An endpoint of `orgId`, written as createEndpoint would (without its address check). The
 * organization's earlier endpoints go first: calls run one at a time, and an organization may
 * hold only 20.
 */
export async function endpoint(c: Call, orgId: string, status: 'active' | 'disabled' = 'active') {
  await db(c).deleteFrom('webhook_endpoints').where('organization_id', '=', orgId).execute();
  const url = `https://203.0.113.10/hooks/${u()}`;
  const row = await db(c)
    .insertInto('webhook_endpoints')
    .values({
      organization_id: orgId,
      url,
      events: ['vps.created'],
      secret_ciphertext: encryptSecret(c.fx.ctx.config.encryptionKeys, 'whsec_matrix'),
      secret_hint: MATRIX_SECRET_HINT,
      status,
      ...(status === 'disabled' ? { disabled_at: new Date(), disabled_reason: 'Disabled in the matrix.' } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  c.made.url = url;
  return row.id;
}

/** A failed delivery of a ping to a new endpoint of `orgId`; names the endpoint in `c.params.id`, answers the delivery's id. */
export async function delivery(c: Call, orgId: string) {
  const endpointId = await endpoint(c, orgId);
  c.params.id = endpointId;
  const key = `matrix:${u()}`;
  const ev = await db(c)
    .insertInto('webhook_events')
    .values({
      organization_id: orgId,
      type: 'ping',
      dedupe_key: key,
      data: JSON.stringify({}),
      body: `{"key":"${key}"}`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const row = await db(c)
    .insertInto('webhook_outbox')
    .values({
      organization_id: orgId,
      event_id: ev.id,
      endpoint_id: endpointId,
      status: 'failed',
      attempts: 1,
      last_error: 'matrix failure',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  c.made.key = key;
  return row.id;
}

export const orgEndpoint: Requirement['record'] = {
  of: 'org',
  own: (c) => endpoint(c, c.fx.acme.id),
  foreign: (c) => endpoint(c, c.fx.globex.id),
};
export const orgDisabledEndpoint: Requirement['record'] = {
  of: 'org',
  own: (c) => endpoint(c, c.fx.acme.id, 'disabled'),
  foreign: (c) => endpoint(c, c.fx.globex.id, 'disabled'),
};
export const orgDelivery: Requirement['record'] = {
  of: 'org',
  own: (c) => delivery(c, c.fx.acme.id),
  foreign: (c) => delivery(c, c.fx.globex.id),
};

export const endpointRow = (c: Call, id: string) =>
  db(c).selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
export const attemptsOf = async (c: Call, deliveryId: string) =>
  (await db(c).selectFrom('webhook_attempts').select('id').where('delivery_id', '=', deliveryId).execute()).length;
