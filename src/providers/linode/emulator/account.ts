import type { Hono } from 'hono';
import type { LinodeStats } from '../types.ts';
import { ACCOUNT, IMAGES, PROFILE, REGIONS, STACKSCRIPTS, TYPES } from './catalogue.ts';
import { api, fail, notFound, type Reply } from './http.ts';
import { instanceOr404 } from './instances.ts';
import { paged } from './listing.ts';
import { monthOf, nowMs, type EmulatedInstance, type LinodeEmulatorState } from './state.ts';
import { eventJson, typeOf } from './views.ts';

/**
 * Read-mostly endpoints: the public catalogue (§8.1), account and profile, events (§8.8),
 * transfer and stats (§8.5). Catalogue lists work without a token, as Linode's do.
 */

const GIB = 1024 ** 3; // Guess: whether Linode's transfer GB are 10^9 or 2^30 bytes is not documented.

function transfer(inst: EmulatedInstance): Reply {
  const quota = typeOf(inst.type)!.transfer;
  const used = inst.transfer.usedBytes;
  return { body: { used, quota, billable: Math.max(0, Math.ceil(used / GIB) - quota) } };
}

function accountTransfer(state: LinodeEmulatorState): Reply {
  const regions = new Map<string, { used: number; quota: number }>();
  for (const i of state.instances.values()) {
    const r = regions.get(i.region) ?? { used: 0, quota: 0 };
    r.used += i.transfer.usedBytes / GIB;
    r.quota += typeOf(i.type)!.transfer;
    regions.set(i.region, r);
  }
  const region_transfers = [...regions].map(([id, r]) => ({
    id,
    used: Math.ceil(r.used),
    quota: r.quota,
    billable: Math.max(0, Math.ceil(r.used) - r.quota),
  }));
  const used = region_transfers.reduce((s, r) => s + r.used, 0);
  const quota = region_transfers.reduce((s, r) => s + r.quota, 0);
  return { body: { used, quota, billable: Math.max(0, used - quota), region_transfers } };
}

/** Deterministic noise in [0, 1) for a series point. */
function noise(id: number, t: number, salt: number): number {
  let h = (id ^ Math.floor(t / 300_000) ^ (salt * 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** The last 24 hours at 5-minute resolution, from creation on; 400 while the instance is new. */
function stats(state: LinodeEmulatorState, inst: EmulatedInstance): Reply {
  const now = nowMs(state);
  // Guess: Linode's wording (spec §6.13) and how long "new" lasts.
  if (now - inst.created < state.durations.statsDelay) throw fail(400, 'Stats are unavailable at this time.');
  const step = 300_000;
  const points: number[] = [];
  for (let t = Math.ceil(Math.max(inst.created, now - 86_400_000) / step) * step; t <= now; t += step) points.push(t);
  const bits = state.options.transferBytesPerSecond * 8;
  const series = (salt: number, scale: number, base = 0) =>
    points.map((t): [number, number] => [t, Math.round((base + noise(inst.id, t, salt) * scale) * 100) / 100]);
  const zero = points.map((t): [number, number] => [t, 0]);
  const body: LinodeStats = {
    title: inst.label,
    cpu: series(1, 6, 0.5),
    io: { io: series(2, 20, 1), swap: zero },
    netv4: { in: series(3, bits, bits / 4), out: series(4, bits, bits / 4), private_in: zero, private_out: zero },
    netv6: { in: series(5, bits / 10), out: series(6, bits / 10), private_in: zero, private_out: zero },
  };
  return { body };
}

export function accountRoutes(app: Hono, state: LinodeEmulatorState): void {
  const list = <T extends object>(items: T[]) => items.map((i) => ({ ...i }) as Record<string, unknown>);
  app.get(
    '/linode/types',
    api(
      state,
      'list_types',
      ({ c }) =>
        paged(c, list(TYPES), {
          filterable: ['class', 'vcpus', 'memory', 'disk', 'label', 'transfer', 'network_out', 'gpus'],
        }),
      'public',
    ),
  );
  app.get(
    '/linode/types/:id',
    api(state, 'get_type', ({ param }) => found(TYPES.find((t) => t.id === param('id'))), 'public'),
  );
  app.get(
    '/regions',
    api(
      state,
      'list_regions',
      ({ c }) => paged(c, list(REGIONS), { filterable: ['id', 'country', 'status', 'site_type', 'capabilities'] }),
      'public',
    ),
  );
  app.get(
    '/regions/:id',
    api(state, 'get_region', ({ param }) => found(REGIONS.find((r) => r.id === param('id'))), 'public'),
  );
  app.get(
    '/images',
    api(
      state,
      'list_images',
      ({ c }) =>
        paged(c, list(IMAGES), {
          filterable: ['id', 'label', 'vendor', 'is_public', 'deprecated', 'type', 'created_by', 'size'],
        }),
      'public',
    ),
  );
  app.get(
    '/images/:vendor/:name',
    api(
      state,
      'get_image',
      ({ param }) => found(IMAGES.find((i) => i.id === `${param('vendor')}/${param('name')}`)),
      'public',
    ),
  );
  app.get(
    '/linode/stackscripts',
    api(
      state,
      'list_stackscripts',
      // `username` is not marked filterable in the spec; SkyPanelV2 filters on it, so it is accepted (spec §3).
      ({ c }) =>
        paged(c, list(STACKSCRIPTS), {
          filterable: [
            'id',
            'label',
            'description',
            'rev_note',
            'mine',
            'is_public',
            'deployments_total',
            'username',
            'images',
          ],
        }),
      'public',
    ),
  );
  app.get(
    '/linode/stackscripts/:id',
    api(
      state,
      'get_stackscript',
      ({ param }) => found(STACKSCRIPTS.find((s) => String(s.id) === param('id'))),
      'public',
    ),
  );

  app.get(
    '/account',
    api(state, 'account', () => ({ body: ACCOUNT })),
  );
  app.get(
    '/account/transfer',
    api(state, 'account_transfer', () => accountTransfer(state)),
  );
  app.get(
    '/profile',
    api(state, 'profile', () => ({ body: PROFILE })),
  );
  app.get(
    '/account/events',
    api(state, 'events', ({ c }) =>
      paged(
        c,
        state.events.map((e) => ({ ...eventJson(e) })),
        {
          filterable: [
            'id',
            'action',
            'created',
            'status',
            'seen',
            'read',
            'entity.id',
            'entity.type',
            'entity.label',
            'username',
          ],
          order: { by: 'id', desc: true },
        },
      ),
    ),
  );
  app.get(
    '/account/events/:id',
    api(state, 'get_event', ({ param }) =>
      found(state.events.map(eventJson).find((e) => String(e.id) === param('id'))),
    ),
  );

  app.get(
    '/linode/instances/:id/transfer',
    api(state, 'transfer', ({ param }) => transfer(instanceOr404(state, param('id')))),
  );
  app.get(
    '/linode/instances/:id/transfer/:year/:month',
    api(state, 'transfer', ({ param }) => {
      const inst = instanceOr404(state, param('id'));
      // Shape unconfirmed (spec §8.5); only the current month has traffic here.
      const month = `${param('year')}-${param('month').padStart(2, '0')}`;
      const total = month === monthOf(nowMs(state)) ? inst.transfer.usedBytes : 0;
      return {
        body: { bytes_in: Math.floor(total / 2), bytes_out: total - Math.floor(total / 2), bytes_total: total },
      };
    }),
  );
  app.get(
    '/linode/instances/:id/stats',
    api(state, 'stats', ({ param }) => stats(state, instanceOr404(state, param('id')))),
  );
}

function found<T>(v: T | undefined): Reply {
  if (v === undefined) throw notFound();
  return { body: v };
}
