import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { raw, startWorld, STRONG_PASSWORD, type World } from './helpers.ts';

describe('Linode emulator: the wire protocol', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(async () => {
    await w.emu.close();
  });

  const create = (body: Record<string, unknown> = {}) =>
    raw(w, 'POST', '/linode/instances', {
      body: { type: 'g6-nanode-1', region: 'us-east', image: 'linode/debian12', root_pass: STRONG_PASSWORD, ...body },
    });

  describe('envelopes and headers', () => {
    it('answers an empty collection as one empty page', async () => {
      const res = await raw(w, 'GET', '/linode/instances');
      expect([res.status, res.json]).toEqual([200, { data: [], page: 1, pages: 1, results: 0 }]);
    });

    it('pages with page and page_size, and answers the last page for a page past the end', async () => {
      for (let n = 0; n < 30; n++) await create({ label: `node-${String(n).padStart(2, '0')}` });
      const second = await raw(w, 'GET', '/linode/instances', { query: 'page=2&page_size=25' });
      expect(second.json).toMatchObject({ page: 2, pages: 2, results: 30 });
      expect(second.json.data).toHaveLength(5);
      expect((await raw(w, 'GET', '/linode/instances', { query: 'page=9&page_size=25' })).json.page).toBe(2);
      expect((await raw(w, 'GET', '/linode/instances')).json.data).toHaveLength(30);
    });

    it('refuses a page size outside 25–500', async () => {
      const res = await raw(w, 'GET', '/linode/types', { query: 'page_size=10' });
      expect([res.status, res.json]).toEqual([400, { errors: [{ field: 'page_size', reason: 'Must be 25-500' }] }]);
      expect((await raw(w, 'GET', '/linode/types', { query: 'page_size=501' })).status).toBe(400);
    });

    it('sends the spec version, rate-limit and CORS headers', async () => {
      const res = await raw(w, 'GET', '/regions');
      expect(res.headers.get('x-spec-version')).toBe('4.189.0');
      expect(res.headers.get('x-ratelimit-limit')).toBe('800');
      expect(res.headers.get('x-ratelimit-remaining')).toBe('799');
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(w.clock.now().getTime() / 1000);
      expect(res.headers.get('access-control-allow-headers')).toContain('X-Filter');
    });

    it('answers an unknown path with the 404 envelope', async () => {
      const res = await raw(w, 'GET', '/linode/apps');
      expect([res.status, res.json]).toEqual([404, { errors: [{ reason: 'Not found' }] }]);
    });

    it('refuses a body that is not JSON', async () => {
      const res = await fetch(`${w.emu.url}/linode/instances`, {
        method: 'POST',
        headers: { authorization: `Bearer ${w.emu.token}`, 'content-type': 'application/json' },
        body: '{nope',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: [{ reason: 'Invalid JSON' }] });
    });
  });

  describe('tokens and rate limits', () => {
    it('requires the bearer token for the account and its servers', async () => {
      for (const path of ['/linode/instances', '/account', '/profile', '/account/events']) {
        const res = await raw(w, 'GET', path, { token: null });
        expect([res.status, res.json]).toEqual([401, { errors: [{ reason: 'Invalid Token' }] }]);
      }
    });

    it('serves the public catalogue without a token but not with a wrong one', async () => {
      expect((await raw(w, 'GET', '/linode/types', { token: null })).status).toBe(200);
      expect((await raw(w, 'GET', '/linode/stackscripts', { token: null })).status).toBe(200);
      expect((await raw(w, 'GET', '/regions', { token: 'stolen' })).status).toBe(401);
    });

    it('answers 429 with Retry-After past a tiny limit, until the window has passed on its clock', async () => {
      w.emu.setRateLimit(3, 60);
      w.clock.set(new Date('2026-03-02T09:00:00Z'));
      for (let n = 0; n < 3; n++) expect((await raw(w, 'GET', '/profile')).status).toBe(200);
      w.clock.advance(20_000);

      const limited = await raw(w, 'GET', '/profile');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('40');
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(limited.json).toEqual({ errors: [{ reason: 'Too Many Requests' }] });

      w.clock.advance(40_000);
      expect((await raw(w, 'GET', '/profile')).status).toBe(200);
    });
  });

  describe('X-Filter', () => {
    beforeEach(async () => {
      await create({ label: 'web-newark', region: 'us-east', tags: ['web', 'org-a'] });
      await create({ label: 'web-frankfurt', region: 'eu-central', tags: ['web'], type: 'g6-standard-2' });
      await create({ label: 'db-frankfurt', region: 'eu-central', tags: ['db'], type: 'g6-dedicated-2' });
    });
    const labels = async (filter: unknown, path = '/linode/instances') => {
      const res = await raw(w, 'GET', path, { filter });
      expect(res.status).toBe(200);
      return res.json.data.map((i: { label?: string; id: unknown }) => i.label ?? i.id);
    };

    it('matches literals, tags by element, and ANDs several keys', async () => {
      expect(await labels({ region: 'eu-central' })).toEqual(['web-frankfurt', 'db-frankfurt']);
      expect(await labels({ tags: 'web', region: 'eu-central' })).toEqual(['web-frankfurt']);
      expect(await labels({ tags: 'org-a' })).toEqual(['web-newark']);
    });

    it('nests +and and +or, with +contains and +neq', async () => {
      expect(
        await labels({
          '+or': [
            { label: { '+contains': 'NEWARK' } },
            { '+and': [{ region: 'eu-central' }, { type: { '+neq': 'g6-standard-2' } }] },
          ],
        }),
      ).toEqual(['web-newark', 'db-frankfurt']);
    });

    it('sorts with +order_by and +order', async () => {
      expect(await labels({ '+order_by': 'label', '+order': 'desc' })).toEqual([
        'web-newark',
        'web-frankfurt',
        'db-frankfurt',
      ]);
      expect(await labels({ '+order_by': 'label' })).toEqual(['db-frankfurt', 'web-frankfurt', 'web-newark']);
    });

    it('compares numbers with +gt and +lte, as on plan sizes', async () => {
      expect(await labels({ class: 'standard', memory: { '+gt': 2048 } }, '/linode/types')).toEqual([
        'Linode 4 GB',
        'Linode 8 GB',
      ]);
      expect(await labels({ vcpus: { '+lte': 1 } }, '/linode/types')).toEqual(['Nanode 1 GB', 'Linode 2 GB']);
    });

    it('filters StackScripts the way SkyPanelV2 looked for Marketplace apps', async () => {
      expect(await labels({ username: 'linode', is_public: true }, '/linode/stackscripts')).toEqual([
        'WordPress One-Click',
        'Docker One-Click',
      ]);
      expect(await labels({ mine: true }, '/linode/stackscripts')).toEqual([]);
    });

    it('refuses a field that is not filterable, an unknown operator, and a header that is not JSON', async () => {
      expect((await raw(w, 'GET', '/linode/instances', { filter: { root_pass: 'x' } })).json).toEqual({
        errors: [{ field: 'X-Filter', reason: 'Cannot filter on root_pass' }],
      });
      expect((await raw(w, 'GET', '/linode/instances', { filter: { '+or': [{ specs: 1 }] } })).status).toBe(400);
      expect(
        (await raw(w, 'GET', '/linode/instances', { filter: { label: { '+like': 'web' } } })).json.errors[0].reason,
      ).toBe('Unknown operator +like');
      const res = await fetch(`${w.emu.url}/linode/instances`, {
        headers: { authorization: `Bearer ${w.emu.token}`, 'x-filter': '{label:' },
      });
      expect(res.status).toBe(400);
    });
  });

  describe('create validation', () => {
    it('reports every refused field at once', async () => {
      const res = await create({ type: 'g9-huge', region: 'moon-1', image: 'linode/beos', root_pass: 'abc' });
      expect(res.status).toBe(400);
      expect(res.json.errors.map((e: { field: string }) => e.field)).toEqual(['type', 'region', 'image', 'root_pass']);
    });

    it('applies Linode’s label rules, uniqueness included', async () => {
      await create({ label: 'taken-name' });
      const reasons = async (label: string) => (await create({ label })).json.errors?.[0]?.reason;
      expect(await reasons('ab')).toBe('Length must be 3-64 characters');
      expect(await reasons('9lives')).toBe('Label must begin with a letter');
      expect(await reasons('has space')).toBe(
        'Label may only contain letters, numbers, dashes, underscores and periods',
      );
      expect(await reasons('double--dash')).toBe('Label must not contain two dashes, underscores or periods in a row');
      expect(await reasons('Taken-Name')).toBe('Label must be unique among your Linodes');
      expect((await create({ label: 'fine.name_1-a' })).status).toBe(200);
    });

    it('names a server itself when no label is given', async () => {
      const res = await create();
      expect(res.json.label).toBe(`linode${res.json.id}`);
    });

    it('refuses a malformed SSH key', async () => {
      expect((await create({ authorized_keys: ['not a key'] })).json.errors).toEqual([
        { field: 'authorized_keys', reason: 'Invalid SSH key' },
      ]);
    });

    it('checks StackScript fields: required ones, one-of choices, many-of choices, and the image', async () => {
      const wp = { stackscript_id: 401697, image: 'linode/ubuntu24.04' };
      expect(
        (await create({ ...wp, stackscript_data: {} })).json.errors.map((e: { reason: string }) => e.reason),
      ).toEqual(['soa_email_address is required', 'wp_admin_user is required']);
      expect(
        (
          await create({
            ...wp,
            stackscript_data: { soa_email_address: 'a@b.example', wp_admin_user: 'ada', webserver: 'IIS' },
          })
        ).json.errors[0].reason,
      ).toBe('webserver must be one of Apache,NGINX');
      expect(
        (
          await create({
            stackscript_id: 607433,
            image: 'linode/debian12',
            stackscript_data: { extras: 'compose,kubernetes' },
          })
        ).json.errors[0].reason,
      ).toBe('extras must be made of compose,buildx,portainer');
      expect((await create({ ...wp, image: 'linode/rocky9', stackscript_data: {} })).json.errors[0]).toEqual({
        field: 'image',
        reason: 'Image is not compatible with this StackScript',
      });
      expect(
        (
          await create({
            ...wp,
            stackscript_data: { soa_email_address: 'a@b.example', wp_admin_user: 'ada', webserver: 'Apache' },
          })
        ).status,
      ).toBe(200);
    });

    it('assigns addresses at create: public IPv4 from a documentation range, SLAAC IPv6, private when asked', async () => {
      const res = await create({ private_ip: true });
      expect(res.json.ipv4).toEqual([
        expect.stringMatching(/^203\.0\.113\.\d+$/),
        expect.stringMatching(/^192\.168\.(1[2-9]\d|2[0-5]\d)\.\d+$/),
      ]);
      expect(res.json.ipv6).toMatch(/^2001:db8:1::[0-9a-f:]+\/128$/);
      const ips = (await raw(w, 'GET', `/linode/instances/${res.json.id}/ips`)).json;
      expect(ips.ipv4.public[0]).toMatchObject({
        address: res.json.ipv4[0],
        prefix: 24,
        public: true,
        type: 'ipv4',
        linode_id: res.json.id,
        region: 'us-east',
      });
      expect(ips.ipv4.private[0]).toMatchObject({ prefix: 17, public: false, rdns: null });
      expect(ips.ipv6.slaac).toMatchObject({ prefix: 64, type: 'ipv6' });
    });
  });

  describe('injected failures', () => {
    it('fires a fault once, only for the operation it targets', async () => {
      w.emu.inject({ type: 'server_error' }, { op: 'profile' });
      expect((await raw(w, 'GET', '/account')).status).toBe(200);
      expect((await raw(w, 'GET', '/profile')).status).toBe(500);
      expect((await raw(w, 'GET', '/profile')).status).toBe(200);
    });

    it('fires a fault N times on a path pattern and method', async () => {
      w.emu.inject({ type: 'request_timeout' }, { path: /^\/linode\//, method: 'GET', times: 2 });
      expect((await raw(w, 'GET', '/regions')).status).toBe(200);
      const first = await raw(w, 'GET', '/linode/types');
      expect([first.status, first.json]).toEqual([408, { errors: [{ reason: 'Please try again' }] }]);
      expect((await raw(w, 'GET', '/linode/instances')).status).toBe(408);
      expect((await raw(w, 'GET', '/linode/instances')).status).toBe(200);
    });

    it('marks maintenance with X-Maintenance-Mode', async () => {
      w.emu.inject({ type: 'maintenance' });
      const res = await raw(w, 'GET', '/regions');
      expect(res.status).toBe(503);
      expect(res.headers.get('x-maintenance-mode')).not.toBeNull();
    });

    it('records requests without the token and with passwords redacted', async () => {
      await create({ label: 'recorded-one' });
      const [req] = w.emu.requests();
      expect(req).toMatchObject({
        method: 'POST',
        path: '/linode/instances',
        op: 'create_instance',
        status: 200,
        body: { label: 'recorded-one', root_pass: '[redacted]' },
      });
      expect(JSON.stringify(w.emu.requests())).not.toContain(w.emu.token);
    });
  });
});
