import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fraudScreenerFromConfig, FRAUDLABSPRO_EMULATOR_PATH } from '../../src/providers/fraudlabspro/index.ts';
import { screenRegistration } from '../../src/domain/fraud/screen.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { TOR_IP } from './helpers.ts';

let ctx: TestContext;
let server: ReturnType<typeof serve>;
let base: string;
beforeAll(async () => {
  ctx = await createTestContext();
  server = serve({ fetch: ctx.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await ctx.close();
});

describe('demo mode', () => {
  it('serves the FraudLabs Pro emulator on our own app, and screening with no API key uses it', async () => {
    const fraud = fraudScreenerFromConfig(ctx.config, { emulatorUrl: `${base}${FRAUDLABSPRO_EMULATOR_PATH}` });
    expect(fraud?.label).toContain('emulator');
    const result = await screenRegistration({ ...ctx.deps, fraud }, { email: 'demo@example.test', ip: TOR_IP });
    expect(result).toMatchObject({
      decision: 'reject',
      unavailable: false,
      reasons: expect.arrayContaining(['Tor exit node detected']),
    });
  });

  it('has no provider without an API key or an emulator', () => {
    expect(fraudScreenerFromConfig(ctx.config)).toBeUndefined();
  });
});
