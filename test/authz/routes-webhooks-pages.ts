import type { Call, Done, Requirement } from './routes.ts';
import {
  attemptsOf,
  endpoint,
  endpointRow,
  MATRIX_SECRET_HINT,
  orgDelivery,
  orgDisabledEndpoint,
  orgEndpoint,
} from './webhook-fixtures.ts';

/**
 * The matrix's entries for the webhook pages (/webhooks…, issue 18), spread into ROUTES by
 * routes.ts. Every page needs `settings_manage` in the active organization. Endpoints made here
 * point at a documentation address (203.0.113.0/24), which the transport refuses before
 * connecting: pings and redeliveries are recorded as failed at once, nothing leaves the machine.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});

export const WEBHOOK_PAGE_ROUTES: Record<string, Requirement> = {
  'GET /webhooks': {
    auth: 'session',
    permission: 'settings_manage',
    setup: async (c) => {
      await endpoint(c, c.org);
    },
    done: (c) => page('Webhooks', c.made.url!),
  },
  'POST /webhooks': {
    auth: 'session',
    permission: 'settings_manage',
    setup: async (c) => {
      await db(c).deleteFrom('webhook_endpoints').where('organization_id', '=', c.org).execute();
      return { url: `https://8.8.8.8/hooks/${u()}` };
    },
    body: (c) => ({ url: c.made.url!, events: ['vps.created', 'wallet.*'], description: 'matrix' }),
    done: (c) => ({
      status: 201,
      shows: ['<title>Your new webhook · SkyPanel</title>', 'whsec_'],
      effect: async () => {
        const row = await db(c)
          .selectFrom('webhook_endpoints')
          .select(['organization_id', 'events'])
          .where('url', '=', c.made.url!)
          .executeTakeFirst();
        return problem(row?.organization_id === c.org && row.events.includes('wallet.*'), 'the endpoint was not added');
      },
    }),
  },
  'GET /webhooks/:id': {
    auth: 'session',
    permission: 'settings_manage',
    record: orgEndpoint,
    done: (c) => page(`Webhook 203.0.113.10`, c.made.url!, 'id="webhook-deliveries"'),
  },
  'POST /webhooks/:id': {
    auth: 'session',
    permission: 'settings_manage',
    record: orgEndpoint,
    body: () => ({ url: 'https://8.8.4.4/changed', events: ['ticket.opened'], description: 'changed' }),
    done: (c) => ({
      status: 303,
      location: `/webhooks/${c.params.id}`,
      effect: async () => {
        const row = await endpointRow(c, c.params.id!);
        return problem(row?.url === 'https://8.8.4.4/changed' && row.events[0] === 'ticket.opened', 'not changed');
      },
    }),
  },
  'DELETE /webhooks/:id': {
    auth: 'session',
    permission: 'settings_manage',
    record: orgEndpoint,
    done: (c) => ({
      status: 303,
      location: '/webhooks',
      effect: async () => problem((await endpointRow(c, c.params.id!)) === undefined, 'the endpoint is still there'),
    }),
  },
  'POST /webhooks/:id/secret': {
    auth: 'session',
    permission: 'settings_manage',
    record: orgEndpoint,
    done: (c) => ({
      status: 200,
      shows: ['<title>Your new signing secret · SkyPanel</title>', 'whsec_'],
      effect: async () =>
        problem((await endpointRow(c, c.params.id!))?.secret_hint !== MATRIX_SECRET_HINT, 'the secret was not rotated'),
    }),
  },
  'POST /webhooks/:id/pings': {
    auth: 'session',
    permission: 'settings_manage',
    record: orgEndpoint,
    done: (c) => ({
      status: 303,
      location: `/webhooks/${c.params.id}`,
      effect: async () => {
        const sent = await db(c)
          .selectFrom('webhook_outbox as d')
          .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
          .select('d.attempts')
          .where('d.endpoint_id', '=', c.params.id!)
          .where('e.type', '=', 'ping')
          .execute();
        return problem(sent.length === 1 && sent[0]!.attempts === 1, 'no ping was attempted');
      },
    }),
  },
  'POST /webhooks/:id/disablement': {
    auth: 'session',
    permission: 'settings_manage',
    record: orgEndpoint,
    done: (c) => ({
      status: 303,
      location: `/webhooks/${c.params.id}`,
      effect: async () => problem((await endpointRow(c, c.params.id!))?.status === 'disabled', 'not disabled'),
    }),
  },
  'DELETE /webhooks/:id/disablement': {
    auth: 'session',
    permission: 'settings_manage',
    record: orgDisabledEndpoint,
    done: (c) => ({
      status: 303,
      location: `/webhooks/${c.params.id}`,
      effect: async () => problem((await endpointRow(c, c.params.id!))?.status === 'active', 'not enabled again'),
    }),
  },
  'GET /webhooks/:id/deliveries/:deliveryId': {
    auth: 'session',
    permission: 'settings_manage',
    record: orgDelivery,
    done: (c) => page('Delivery of ping', c.made.key!, 'Body sent'),
  },
  'POST /webhooks/:id/deliveries/:deliveryId/redeliveries': {
    auth: 'session',
    permission: 'settings_manage',
    record: orgDelivery,
    done: (c) => ({
      status: 303,
      location: `/webhooks/${c.params.id}/deliveries/${c.params.deliveryId}`,
      effect: async () => problem((await attemptsOf(c, c.params.deliveryId!)) === 1, 'it was not sent again'),
    }),
  },
};
