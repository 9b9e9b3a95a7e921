import { afterAll, beforeAll } from 'vitest';
import { createPayPalClient } from '../../src/providers/paypal/client.ts';
import { startPayPalEmulator, type PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import type { SentWebhook } from '../../src/providers/paypal/emulator/state.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import type { CloudProvider } from '../../src/providers/cloud.ts';
import { createPerson } from '../helpers/people.ts';
import { startPayPalGate, type PayPalGate } from '../paypal/helpers.ts';

/**
 * Billing against the PayPal emulator over real HTTP: the app's client is the real client,
 * pointed at an emulator started for the file. The emulator records the webhooks it would
 * send (no URL); a test delivers them to `POST /webhooks/paypal` itself, as often and
 * whenever it likes, and the app verifies each through the emulator like it would PayPal.
 */
export async function billingContext(
  env: Record<string, string> = {},
  opts: { gate?: boolean; cloud?: CloudProvider } = {},
): Promise<{ ctx: TestContext; emu: PayPalEmulator; gate: PayPalGate | null; close(): Promise<void> }> {
  const emu = await startPayPalEmulator({ webhookId: 'WH-SKYPANEL-BILLING' });
  // With a gate, the app's PayPal calls pass through it, so a test can hold one (a race barrier).
  const gate = opts.gate ? await startPayPalGate(emu) : null;
  const paypal = createPayPalClient({
    baseUrl: gate?.url ?? emu.url,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    timeoutMs: 5_000,
  });
  const ctx = await createTestContext(
    { RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000', ...env },
    { paypal, paypalWebhookId: emu.webhookId, cloud: opts.cloud },
  );
  return {
    ctx,
    emu,
    gate,
    close: async () => {
      await ctx.close();
      await gate?.close();
      await emu.close();
    },
  };
}

export interface BillingWorld {
  ctx: TestContext;
  emu: PayPalEmulator;
  /** Between the app and the emulator when asked for (`useBillingWorld(env, { gate: true })`). */
  gate: PayPalGate | null;
  cast: Awaited<ReturnType<typeof billingCast>>;
  /** Olivia's JSON API client (she owns Acme Hosting). */
  olivia: Awaited<ReturnType<typeof apiAs>>;
}

/** A billing world (see `useBillingWorld`) made now; the caller closes it. */
export async function makeBillingWorld(
  env: Record<string, string> = {},
  opts: { gate?: boolean } = {},
): Promise<BillingWorld & { close(): Promise<void> }> {
  const made = await billingContext(env, opts);
  try {
    const cast = await billingCast(made.ctx);
    return {
      ctx: made.ctx,
      emu: made.emu,
      gate: made.gate,
      cast,
      olivia: await apiAs(made.ctx, cast.olivia.email),
      close: made.close,
    };
  } catch (err) {
    await made.close();
    throw err;
  }
}

/**
 * The usual billing test file's world — a context on the PayPal emulator, the cast, and
 * Olivia's API client — set up before the file's tests and torn down after them. Its
 * fields are filled in by the time the tests run.
 */
export function useBillingWorld(env: Record<string, string> = {}, opts: { gate?: boolean } = {}): BillingWorld {
  const world = {} as BillingWorld;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const made = await makeBillingWorld(env, opts);
    close = made.close;
    Object.assign(world, { ctx: made.ctx, emu: made.emu, gate: made.gate, cast: made.cast, olivia: made.olivia });
  });
  afterAll(async () => close?.());
  return world;
}

let ipSeq = 0;
/**
 * A fresh client address per caller, always one FraudLabs Pro's emulator scores as a clean ISP
 * (198.51.100.144–.255; lower octets include proxies, VPNs, Tor exits and its blacklist). Test
 * files may share this module, so the sequence does not start at 0 in every file.
 */
export const nextIp = () => `198.51.100.${(++ipSeq % 112) + 144}`;

/** Olivia owns Acme Hosting; Mia is a member there (billing_view only); Vic a viewer (no billing); Greta owns Globex. */
export async function billingCast(ctx: TestContext) {
  const [olivia, mia, vic, greta] = await Promise.all(
    ['Olivia Owner', 'Mia Member', 'Vic Viewer', 'Greta Globex'].map((n) => createPerson(ctx, n, { verified: true })),
  );
  const acme = olivia!.organization.id;
  await joinAs(ctx, acme, mia!.id, 'member');
  await joinAs(ctx, acme, vic!.id, 'viewer');
  return { olivia: olivia!, mia: mia!, vic: vic!, greta: greta!, acme, globex: greta!.organization.id };
}

/** A JSON API caller with a fresh access token; `call(method, path, body?, headers?)`. */
export async function apiAs(ctx: TestContext, email: string) {
  const ip = nextIp();
  const token = await tokenFor(ctx, email, ip);
  const client = apiClient(ctx, ip);
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    client(method, path, { token, body, headers });
}

/** The PayPal order id of one of our payments. */
export async function orderOf(ctx: TestContext, paymentId: string): Promise<string> {
  return (
    await ctx.db
      .selectFrom('payments')
      .select('provider_order_id')
      .where('id', '=', paymentId)
      .executeTakeFirstOrThrow()
  ).provider_order_id!;
}

/** Delivers one recorded transmission to the app's webhook endpoint, byte for byte. */
export function deliver(ctx: TestContext, w: Pick<SentWebhook, 'headers' | 'body'>) {
  return ctx.app.request('/webhooks/paypal', {
    method: 'POST',
    headers: { ...w.headers, 'x-forwarded-for': '192.0.2.200' },
    body: w.body,
  });
}

/** The transmissions of `eventType` the emulator recorded so far. */
export const sent = (emu: PayPalEmulator, eventType: string) => emu.webhooks.filter((w) => w.eventType === eventType);

export async function balanceOf(ctx: TestContext, organizationId: string): Promise<bigint> {
  return (
    await ctx.db
      .selectFrom('wallets')
      .select('balance')
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow()
  ).balance;
}

/** The organization's top-up credits in the ledger. */
export async function creditsOf(ctx: TestContext, organizationId: string) {
  return ctx.db
    .selectFrom('ledger_transactions')
    .select(['id', 'idempotency_key'])
    .where('organization_id', '=', organizationId)
    .where('kind', '=', 'top_up')
    .execute();
}
