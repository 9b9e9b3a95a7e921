import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudError } from '../../src/providers/cloud.ts';
import { createLinodeClient } from '../../src/providers/linode/index.ts';
import type { LinodeFault } from '../../src/providers/linode/emulator/index.ts';
import { clientFor, newServer, providerFor, startWorld, STRONG_PASSWORD, type World } from './helpers.ts';

const idOnly = z.looseObject({ id: z.number(), label: z.string() });

async function failure(p: Promise<unknown>): Promise<CloudError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CloudError);
  return err as CloudError;
}

describe('Linode client against the emulator', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(async () => {
    await w.emu.close();
  });
  const calls = (op: string) => w.emu.requests().filter((r) => r.op === op);

  describe('collections', () => {
    it('follows every page of a collection and asks for the page size it was given', async () => {
      const provider = providerFor(w);
      for (let n = 0; n < 60; n++) await provider.create(newServer());
      w.emu.clearRequests();

      const all = await clientFor(w).all(idOnly, '/linode/instances', { pageSize: 25 });

      expect(all).toHaveLength(60);
      expect(new Set(all.map((i) => i.id)).size).toBe(60);
      expect(calls('list_instances').map((r) => [r.query.page, r.query.page_size])).toEqual([
        ['1', '25'],
        ['2', '25'],
        ['3', '25'],
      ]);
    });

    it('reads a collection with a single request when it fits one page of 500', async () => {
      const provider = providerFor(w);
      for (let n = 0; n < 3; n++) await provider.create(newServer());
      w.emu.clearRequests();

      expect(await clientFor(w).all(idOnly, '/linode/instances')).toHaveLength(3);
      expect(calls('list_instances')).toHaveLength(1);
      expect(calls('list_instances')[0]!.query.page_size).toBe('500');
    });

    it('sends X-Filter as JSON and gets only the matching items', async () => {
      const provider = providerFor(w);
      await provider.create(newServer({ label: 'db-frankfurt', region: 'eu-central' }));
      await provider.create(newServer({ label: 'web-newark', region: 'us-east' }));

      const found = await clientFor(w).all(idOnly, '/linode/instances', {
        filter: { '+or': [{ region: 'eu-central' }, { label: { '+contains': 'nothing' } }] },
      });

      expect(found.map((i) => i.label)).toEqual(['db-frankfurt']);
      expect(calls('list_instances').at(-1)!.filter).toEqual({
        '+or': [{ region: 'eu-central' }, { label: { '+contains': 'nothing' } }],
      });
    });
  });

  describe('retries', () => {
    it('waits as long as Retry-After says after a 429 and then succeeds', async () => {
      w.emu.inject({ type: 'rate_limited', retryAfter: 7 }, { op: 'account' });

      const account = await clientFor(w).request('GET', '/account');

      expect(account.email).toBe('ops@demo-hosting.example');
      expect(calls('account').map((r) => r.status)).toEqual([429, 200]);
      expect(w.waits).toHaveLength(1);
      expect(w.waits[0]).toBeGreaterThanOrEqual(7_000);
      expect(w.waits[0]).toBeLessThan(7_000 + 250);
    });

    it('retries "Linode busy." on an idempotent update with growing, jittered waits', async () => {
      const provider = providerFor(w);
      const server = await provider.create(newServer());
      w.emu.inject({ type: 'busy' }, { op: 'update_instance', times: 2 });

      await provider.rename(server.id, 'renamed-after-busy');

      expect(w.emu.instance(server.id)!.label).toBe('renamed-after-busy');
      expect(calls('update_instance').map((r) => r.status)).toEqual([400, 400, 200]);
      // random() is 0.5 here: half the step fixed plus half of the other half.
      expect(w.waits).toEqual([187, 375]);
    });

    it('does not retry "Linode busy." on a power action', async () => {
      const provider = providerFor(w);
      const server = await provider.create(newServer());
      w.emu.settle(server.id);
      w.emu.inject({ type: 'busy' }, { op: 'reboot' });

      const err = await failure(provider.reboot(server.id));

      expect(err.kind).toBe('busy');
      expect(calls('reboot')).toHaveLength(1);
      expect(w.waits).toEqual([]);
    });

    it('never repeats a create that failed with a server error', async () => {
      w.emu.inject({ type: 'server_error' }, { op: 'create_instance', times: 5 });

      const err = await failure(
        clientFor(w).request('POST', '/linode/instances', { body: { type: 'g6-nanode-1', region: 'us-east' } }),
      );

      expect(err.kind).toBe('unavailable');
      expect(calls('create_instance')).toHaveLength(1);
      expect(w.emu.instances()).toEqual([]);
    });

    it('repeats a POST the caller marks idempotent', async () => {
      w.emu.inject({ type: 'server_error' }, { op: 'enable_backups' });
      const provider = providerFor(w);
      const server = await provider.create(newServer());

      await clientFor(w).request('POST', `/linode/instances/${server.id}/backups/enable`, { idempotent: true });

      expect(calls('enable_backups').map((r) => r.status)).toEqual([500, 200]);
    });

    it('retries reads on 500, 503 without maintenance, and 408', async () => {
      for (const fault of [
        { type: 'server_error' },
        { type: 'unavailable' },
        { type: 'request_timeout' },
      ] as LinodeFault[])
        w.emu.inject(fault, { op: 'profile' });

      const profile = await clientFor(w).request('GET', '/profile');

      expect(profile.username).toBe('demo-operator');
      expect(calls('profile').map((r) => r.status)).toEqual([500, 503, 408, 200]);
    });

    it('gives up after the configured number of retries and says how many attempts it made', async () => {
      w.emu.inject({ type: 'server_error' }, { op: 'profile', times: 10 });

      const err = await failure(clientFor(w, { retries: 2 }).request('GET', '/profile'));

      expect(calls('profile')).toHaveLength(3);
      expect(err.message).toContain('after 3 attempts');
    });

    it('does not retry a 503 in maintenance mode', async () => {
      w.emu.inject({ type: 'maintenance' }, { op: 'profile', times: 3 });

      const err = await failure(clientFor(w).request('GET', '/profile'));

      expect(err.kind).toBe('unavailable');
      expect(err.message).toContain('maintenance');
      expect(err.customerMessage).toBe('Server management is down for maintenance; try again later.');
      expect(calls('profile')).toHaveLength(1);
    });

    it('hands a long Retry-After to the caller instead of waiting inside the call', async () => {
      w.emu.inject({ type: 'rate_limited', retryAfter: 600 }, { op: 'profile' });

      const err = await failure(clientFor(w).request('GET', '/profile'));

      expect(err.kind).toBe('rate_limited');
      expect(err.opts.retryAfter).toBe(600);
      expect(w.waits).toEqual([]);
    });

    it('treats a retried DELETE that finds nothing as done', async () => {
      const provider = providerFor(w);
      const server = await provider.create(newServer());
      w.emu.inject({ type: 'succeeds_late', ms: 800 }, { op: 'delete_instance' });
      w.emu.state.durations.delete = 0;

      await createLinodeClient({
        baseUrl: w.emu.url,
        token: w.emu.token,
        timeoutMs: 300,
        sleep: async () => {},
      }).request('DELETE', `/linode/instances/${server.id}`);

      expect(w.emu.instance(server.id)).toBeNull();
      expect(calls('delete_instance').map((r) => r.status)).toEqual([200, 404]);
    });
  });

  describe('timeouts and the network', () => {
    it('times out a slow answer and retries a read once the emulator answers in time', async () => {
      w.emu.inject({ type: 'delay', ms: 1_000 }, { op: 'profile' });

      const profile = await clientFor(w, { timeoutMs: 200 }).request('GET', '/profile');

      expect(profile.username).toBe('demo-operator');
      expect(w.waits).toHaveLength(1);
    });

    it('reports a timeout without retrying a POST', async () => {
      const provider = providerFor(w);
      const server = await provider.create(newServer());
      w.emu.settle(server.id);
      w.emu.inject({ type: 'delay', ms: 1_000 }, { op: 'shutdown' });

      const err = await failure(providerFor(w, { timeoutMs: 200 }).shutdown(server.id));

      expect(err.kind).toBe('timeout');
      expect(err.message).toBe('Linode POST /linode/instances/' + server.id + '/shutdown timed out after 200 ms');
      expect(err.customerMessage).toBe('The server platform did not answer in time; try again in a minute.');
    });

    it('describes a refused connection as a network failure', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((r) => closed.close(() => r()));

      const err = await failure(
        createLinodeClient({ baseUrl: `http://127.0.0.1:${port}/v4`, token: 't', retries: 0 }).request(
          'GET',
          '/profile',
        ),
      );

      expect(err.kind).toBe('network');
      expect(err.message).toContain('ECONNREFUSED');
      expect(err.customerMessage).toBe('The server platform could not be reached; try again in a few minutes.');
    });
  });

  describe('errors', () => {
    it('maps a weak root password to a field error with our own words for the customer', async () => {
      const err = await failure(providerFor(w).create(newServer({ rootPassword: 'password1' })));

      expect(err.kind).toBe('validation');
      expect(err.field).toBe('root_pass');
      expect(err.status).toBe(400);
      expect(err.message).toBe(
        'Linode POST /linode/instances failed: 400 root_pass: Password does not meet strength requirement.',
      );
      expect(err.customerMessage).toBe('Choose a stronger root password.');
    });

    it('reports every field Linode refused in the staff message', async () => {
      const err = await failure(providerFor(w).create(newServer({ type: 'g9-huge', region: 'moon-1' })));

      expect(err.message).toContain('type: A valid plan type by that ID was not found');
      expect(err.message).toContain('region: region is not valid');
      expect(err.field).toBe('type');
    });

    it('maps a refused token to "temporarily unavailable" and never repeats the token', async () => {
      const token = 'secret-token-that-must-not-leak';
      const err = await failure(
        createLinodeClient({ baseUrl: w.emu.url, token }).request('GET', `/profile?echo=${token}`),
      );

      expect(err.kind).toBe('unauthorized');
      expect(err.customerMessage).toBe('Server management is temporarily unavailable.');
      expect(err.message).toContain('401 Invalid Token');
      expect(err.message).toContain('echo=[redacted]');
      expect(err.message).not.toContain(token);
    });

    it('never names the provider nor quotes it in what customers read', async () => {
      const faults: LinodeFault[] = [
        { type: 'unauthorized' },
        { type: 'forbidden' },
        { type: 'validation' },
        { type: 'validation', field: 'label', reason: 'Label must be unique among your Linodes' },
        {
          type: 'validation',
          field: null,
          reason: 'Please wait 24 hours before reactivating backups for this Linode.',
        },
        { type: 'validation', field: 'rdns', reason: 'Domain does not resolve to this address.' },
        { type: 'validation', field: null, reason: 'Linode must be shut down to reset the root password.' },
        { type: 'validation', field: null, reason: 'Something new Linode says about Akamai.' },
        { type: 'busy' },
        { type: 'not_found' },
        { type: 'rate_limited', retryAfter: 3600 },
        { type: 'server_error' },
        { type: 'maintenance' },
        { type: 'unavailable' },
        { type: 'request_timeout' },
      ];
      const client = clientFor(w, { retries: 0 });
      const seen = new Set<string>();
      for (const fault of faults) {
        w.emu.inject(fault, { op: 'profile' });
        const err = await failure(client.request('GET', '/profile'));
        expect(err.message).toMatch(/^Linode GET \/profile failed: \d{3} /);
        expect(err.customerMessage).not.toMatch(/linode|akamai/i);
        seen.add(err.customerMessage);
      }
      expect(seen.size).toBeGreaterThanOrEqual(12);
    });

    it('turns the 24-hour backups block into a message a customer understands', async () => {
      w.emu.inject(
        {
          type: 'validation',
          field: null,
          reason: 'Please wait 24 hours before reactivating backups for this Linode.',
        },
        { op: 'profile' },
      );

      const err = await failure(clientFor(w).request('GET', '/profile'));

      expect(err.customerMessage).toBe(
        'Backups were cancelled recently; they can be enabled again 24 hours after cancelling.',
      );
    });

    it('checks answers against the shape it expects', async () => {
      const err = await failure(clientFor(w).call(z.looseObject({ balance: z.string() }), 'GET', '/account'));

      expect(err.kind).toBe('unavailable');
      expect(err.message).toBe('Linode GET /account answered 200 with an unexpected body (at balance)');
    });

    it('sends writes as JSON, and the emulator records them without the password or the token', async () => {
      const provider = providerFor(w);
      const server = await provider.create(newServer());
      await provider.rename(server.id, 'named-by-put');

      const put = calls('update_instance')[0]!;
      expect(put.body).toEqual({ label: 'named-by-put' });
      expect(calls('create_instance')[0]!.body).toMatchObject({ root_pass: '[redacted]', type: 'g6-standard-1' });
      expect(JSON.stringify(w.emu.requests())).not.toContain(STRONG_PASSWORD);
      expect(JSON.stringify(w.emu.requests())).not.toContain(w.emu.token);
    });
  });
});
