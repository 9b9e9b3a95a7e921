import { serve } from '@hono/node-server';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, EMULATORS_IN_PRODUCTION_CONSENT, loadConfig } from '../../src/config.ts';
import { paypalEmulatorControls } from '../../src/providers/paypal/emulator/index.ts';
import { createTestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';

// The built-in emulators stand in for outside services in demo mode. They must never hand a
// stranger what the real services keep for their owner, never run on a production server by
// accident, and a demo laptop's server is not on the network unless asked.

const production = { NODE_ENV: 'production', ENCRYPTION_KEY: 'ab'.repeat(32), MAIL_TRANSPORT: 'outbox' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('the PayPal emulator served by the app in demo mode', () => {
  it('answers nobody on its control endpoints: a stranger cannot list the payments or reverse a top-up', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const ctx = await createTestContext({ PUBLIC_URL: origin, TRUSTED_PROXY_COUNT: '0' }, { paypalEmulator: true });
    const server = serve({ fetch: ctx.app.fetch, port, hostname: '127.0.0.1' });
    try {
      await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
      // A victim's top-up, captured through the emulator the app serves.
      const paypal = ctx.deps.paypal!;
      const order = await paypal.createOrder({
        amount: '25.00',
        currency: 'USD',
        customId: crypto.randomUUID(),
        description: 'Wallet top-up',
        brandName: 'SkyPanel',
        returnUrl: `${origin}/billing`,
        cancelUrl: `${origin}/billing`,
        requestId: crypto.randomUUID(),
      });
      paypalEmulatorControls(ctx.deps.paypalEmulator!).approve(order.id);
      const captured = await paypal.captureOrder(order.id, `capture-${order.id}`);
      if (captured.outcome !== 'captured') throw new Error('expected a capture');

      const base = `${origin}/_emulators/paypal/_control`;
      const state = await fetch(`${base}/state`);
      const reverse = await fetch(`${base}/captures/${captured.capture.id}/reverse`, { method: 'POST' });
      const inject = await fetch(`${base}/inject`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"fault":"server_error","on":"any"}',
      });

      // Not found, or (a POST that reaches the HTML app instead) refused there: never done.
      expect(state.status).toBe(404);
      expect([reverse.ok, inject.ok]).toEqual([false, false]);
      expect(await state.text()).not.toContain(order.id);
      expect(ctx.deps.paypalEmulator!.captures.get(captured.capture.id)?.status).toBe('COMPLETED');
      expect(ctx.deps.paypalEmulator!.faults).toEqual([]);
      // The buyer's side still works: that is what the demo needs.
      expect((await fetch(`${origin}/_emulators/paypal/checkoutnow?token=${order.id}`)).status).toBe(200);
    } finally {
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      await ctx.close();
    }
  });
});

describe('emulators in production', () => {
  it('are refused unless a second, explicit setting says no real money moves', () => {
    expect(problems({ ...production, EMULATORS_ENABLED: 'true' })).toEqual([
      `EMULATORS_ENABLED: in production the emulators (no real money moves) also need EMULATORS_IN_PRODUCTION=${EMULATORS_IN_PRODUCTION_CONSENT}`,
    ]);
    expect(problems({ ...production, EMULATORS_ENABLED: 'true', EMULATORS_IN_PRODUCTION: 'yes' })).toHaveLength(1);
    const demo = loadConfig({
      ...production,
      EMULATORS_ENABLED: 'true',
      EMULATORS_IN_PRODUCTION: EMULATORS_IN_PRODUCTION_CONSENT,
    });
    expect(demo).toMatchObject({ emulatorsEnabled: true, emulatorsInProduction: true });
    expect(loadConfig(production)).toMatchObject({ emulatorsEnabled: false, emulatorsInProduction: false });
    expect(loadConfig({})).toMatchObject({ emulatorsEnabled: true, emulatorsInProduction: false });
  });

  it('once allowed, every page says so: public, portal and admin', async () => {
    const ctx = await createTestContext({
      ...production,
      EMULATORS_ENABLED: 'true',
      EMULATORS_IN_PRODUCTION: EMULATORS_IN_PRODUCTION_CONSENT,
    });
    try {
      const ada = await createPerson(ctx, 'Ada Demo', {
        isAdmin: true,
        verified: true,
        email: uniqueEmail('Ada Demo'),
      });
      const browser = await signedIn(ctx, ada.email);
      const pages = [await ctx.app.request('/login'), await browser.get('/dashboard'), await browser.get('/admin')];
      expect(pages.map((p) => p.status)).toEqual([200, 200, 200]);
      for (const page of pages) expect(await page.text()).toContain('id="emulator-banner"');
    } finally {
      await ctx.close();
    }
    const plain = await createTestContext();
    try {
      expect(await (await plain.app.request('/login')).text()).not.toContain('emulator-banner');
    } finally {
      await plain.close();
    }
  });
});

describe('where the server listens', () => {
  it('is 127.0.0.1 outside production, every interface in production, and HOST when set', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'test' }).HOST).toBe('127.0.0.1');
    expect(loadConfig(production).HOST).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
    expect(loadConfig({ ...production, HOST: '10.0.0.5' }).HOST).toBe('10.0.0.5');
  });

  it('and the process reaches itself over loopback whatever HOST is', () => {
    expect(loadConfig({ PORT: '4000' }).loopbackOrigin).toBe('http://127.0.0.1:4000');
    expect(loadConfig({ HOST: '0.0.0.0' }).loopbackOrigin).toBe('http://127.0.0.1:3000');
    expect(loadConfig({ HOST: '::' }).loopbackOrigin).toBe('http://127.0.0.1:3000');
    expect(loadConfig({ HOST: '::1' }).loopbackOrigin).toBe('http://[::1]:3000');
  });
});
