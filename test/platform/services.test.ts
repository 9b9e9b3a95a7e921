import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/index.ts';
import { createLogger } from '../../src/lib/log.ts';
import { createServices } from '../../src/services.ts';
import { createTestDatabase } from '../helpers/db.ts';

// src/services.ts is the one place a process's outside systems are chosen: real credentials
// give the real service, none (with emulators on) the demo emulators, emulators off nothing.

let database: { url: string; db: Db; drop(): Promise<void> };
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

const build = (env: Record<string, string>, loopback?: string) =>
  createServices(loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, ...env }), {
    databaseUrl: database.url,
    loopback,
    schedule: false,
    overrides: { db: database.db, log: createLogger('silent') },
  });

describe('the composition root', () => {
  it('in demo mode serves the PayPal and FraudLabs Pro emulators, reaches them over loopback, and starts a Linode emulator on 127.0.0.1 it stops again', async () => {
    const services = await build({}, 'http://127.0.0.1:3999');
    const linode = services.emulators.linode!;
    try {
      expect(services.emulators.mounted.map((m) => m.path).sort()).toEqual([
        '/_emulators/enhance',
        '/_emulators/fraudlabspro',
        '/_emulators/paypal',
      ]);
      expect(services.paypalEmulator).not.toBeNull();
      expect(services.paypalWebhookId).toMatch(/^WH-DEMO-/);
      expect(services.fraud?.label).toContain('emulator');
      expect(services.mail.name).toBe('outbox');
      expect(linode.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v4$/);
      expect(await services.cloud!.validate()).toEqual({ account: expect.any(String) });
    } finally {
      await services.stop({ graceful: false });
    }
    await expect(fetch(`${linode.url}/regions`)).rejects.toThrow();
  });

  it('without a loopback (a jobs-only process) points no client at an emulator it does not serve', async () => {
    const services = await build({});
    try {
      expect(services.paypal).toBeNull();
      expect(services.fraud).toBeUndefined();
      // The Enhance emulator is answered in process (no loopback needed): jobs reach it too.
      expect(services.emulators.mounted.map((m) => m.path)).toEqual([
        '/_emulators/fraudlabspro',
        '/_emulators/enhance',
      ]);
    } finally {
      await services.stop({ graceful: false });
    }
  });

  it('with emulators off, emulates nothing', async () => {
    const services = await build({ EMULATORS_ENABLED: 'false' }, 'http://127.0.0.1:3999');
    try {
      expect(services).toMatchObject({
        paypal: null,
        paypalEmulator: null,
        cloud: null,
        fraud: undefined,
        emulators: { mounted: [], linode: null, enhance: null },
      });
    } finally {
      await services.stop({ graceful: false });
    }
  });

  it('with real credentials, uses the real services and no emulator for them', async () => {
    const services = await build(
      {
        PAYPAL_CLIENT_ID: 'id',
        PAYPAL_CLIENT_SECRET: 'secret',
        PAYPAL_WEBHOOK_ID: 'WH-1',
        FRAUDLABSPRO_API_KEY: 'key',
        EMULATORS_ENABLED: 'false',
      },
      'http://127.0.0.1:3999',
    );
    try {
      expect(services.paypal).not.toBeNull();
      expect(services.paypalEmulator).toBeNull();
      expect(services.paypalWebhookId).toBe('WH-1');
      expect(services.fraud?.label).toBe('FraudLabs Pro (api.fraudlabspro.com)');
    } finally {
      await services.stop({ graceful: false });
    }
  });
});
