import type { Call, Requirement } from './routes.ts';
import { attemptsOf, endpoint, endpointRow, MATRIX_SECRET_HINT, orgDelivery, orgEndpoint } from './webhook-fixtures.ts';

/**
 * The matrix's entries for the webhooks JSON API (/api/v1/webhooks…, issue 18), spread into
 * ROUTES by routes.ts. Every route needs `settings_manage` in the acting organization.
 * Endpoints point at a documentation address (203.0.113.0/24) that the transport refuses
 * before connecting: pings and redeliveries are recorded as failed at once, nothing leaves
 * the machine. Endpoints are written as createEndpoint would (without its address check).
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;

const api = { auth: 'token', permission: 'settings_manage' } as const;

export const WEBHOOK_API_ROUTES: Record<string, Requirement> = {
  'GET /api/v1/webhooks': {
    ...api,
    setup: async (c) => {
      await endpoint(c, c.org);
    },
    done: (c) => ({ status: 200, shows: c.made.url! }),
  },
  'POST /api/v1/webhooks': {
    ...api,
    setup: async (c) => {
      await db(c).deleteFrom('webhook_endpoints').where('organization_id', '=', c.org).execute();
      return { url: `https://8.8.8.8/api-hooks/${u()}` };
    },
    body: (c) => ({ url: c.made.url!, events: ['vps.created', 'wallet.*'] }),
    done: (c) => ({
      status: 201,
      shows: '"secret":"whsec_',
      effect: async () => {
        const row = await db(c)
          .selectFrom('webhook_endpoints')
          .select(['organization_id'])
          .where('url', '=', c.made.url!)
          .executeTakeFirst();
        return problem(row?.organization_id === c.org, 'the endpoint was not added');
      },
    }),
  },
  'GET /api/v1/webhooks/:id': {
    ...api,
    record: orgEndpoint,
    done: (c) => ({ status: 200, shows: c.made.url! }),
  },
  'PATCH /api/v1/webhooks/:id': {
    ...api,
    record: orgEndpoint,
    body: () => ({ description: 'changed by the matrix', events: ['ticket.*'] }),
    done: (c) => ({
      status: 200,
      effect: async () => {
        const row = await endpointRow(c, c.params.id!);
        return problem(row?.description === 'changed by the matrix' && row.events[0] === 'ticket.*', 'not changed');
      },
    }),
  },
  'DELETE /api/v1/webhooks/:id': {
    ...api,
    record: orgEndpoint,
    done: (c) => ({
      status: 204,
      effect: async () => problem((await endpointRow(c, c.params.id!)) === undefined, 'the endpoint is still there'),
    }),
  },
  'POST /api/v1/webhooks/:id/secret': {
    ...api,
    record: orgEndpoint,
    done: (c) => ({
      status: 200,
      shows: '"secret":"whsec_',
      effect: async () =>
        problem((await endpointRow(c, c.params.id!))?.secret_hint !== MATRIX_SECRET_HINT, 'the secret was not rotated'),
    }),
  },
  'POST /api/v1/webhooks/:id/pings': {
    ...api,
    record: orgEndpoint,
    done: (c) => ({ status: 201, shows: '"type":"ping"' }),
  },
  'GET /api/v1/webhooks/:id/deliveries': {
    ...api,
    // The endpoint `record` makes is new: its log is empty.
    record: orgEndpoint,
    done: () => ({ status: 200, shows: '"data":[]' }),
  },
  'GET /api/v1/webhooks/:id/deliveries/:deliveryId': {
    ...api,
    record: orgDelivery,
    done: (c) => ({ status: 200, shows: c.made.key! }),
  },
  'POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliveries': {
    ...api,
    record: orgDelivery,
    done: (c) => ({
      status: 201,
      effect: async () => problem((await attemptsOf(c, c.params.deliveryId!)) === 1, 'it was not sent again'),
    }),
  },
};
