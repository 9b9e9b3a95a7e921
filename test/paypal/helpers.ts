import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import {
  createPayPalClient,
  PayPalError,
  type CreateOrderInput,
  type PayPalClient,
  type PayPalClientOptions,
} from '../../src/providers/paypal/client.ts';
import type { PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';

/** The organization topping up its wallet in these tests. */
export const ACME_ORG = '7d1f2c3a-5b6e-4f70-8a9b-0c1d2e3f4a5b';

export function clientFor(emu: PayPalEmulator, over: Partial<PayPalClientOptions> = {}): PayPalClient {
  return createPayPalClient({
    baseUrl: emu.url,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    timeoutMs: 2_000,
    ...over,
  });
}

let seq = 0;
/** A wallet top-up order as the app creates it; every call gets its own request id. */
export function topUp(over: Partial<CreateOrderInput> = {}): CreateOrderInput {
  seq += 1;
  return {
    amount: '25.00',
    currency: 'USD',
    customId: ACME_ORG,
    invoiceId: `${ACME_ORG}:main:${seq}`,
    description: 'Wallet top-up',
    returnUrl: 'http://localhost:3000/billing/payment/success',
    cancelUrl: 'http://localhost:3000/billing/payment/cancel',
    brandName: 'SkyPanel',
    requestId: `create-${seq}-${Date.now()}`,
    ...over,
  };
}

/** Creates an order and has the buyer approve it; returns the order id. */
export async function approvedOrder(
  paypal: PayPalClient,
  emu: PayPalEmulator,
  over: Partial<CreateOrderInput> = {},
): Promise<string> {
  const order = await paypal.createOrder(topUp(over));
  emu.approve(order.id);
  return order.id;
}

/** Creates, approves and captures an order; returns the capture id. */
export async function capturedPayment(
  paypal: PayPalClient,
  emu: PayPalEmulator,
  over: Partial<CreateOrderInput> = {},
): Promise<string> {
  const orderId = await approvedOrder(paypal, emu, over);
  const result = await paypal.captureOrder(orderId, `capture-${orderId}`);
  if (result.outcome !== 'captured') throw new Error('expected a capture');
  return result.capture.id;
}

export async function paypalErrorOf(p: Promise<unknown>): Promise<PayPalError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PayPalError);
  return err as PayPalError;
}

export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

/** A stand-in for the app's `POST /webhooks/paypal`: records raw deliveries, answers `status`. */
export async function startWebhookReceiver(
  status = 200,
): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      deliveries.push({ headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/paypal`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Hold {
  /** Resolves once a matching request has reached the gate (`before`) or PayPal's handler has it (`inside`: see `startPayPalGate`). */
  arrived: Promise<void>;
  /** Lets it go on. */
  release(): void;
}

export interface PayPalGate {
  /** Give the client this instead of the emulator's URL. */
  url: string;
  /**
   * Holds the next request whose `METHOD path` matches, until released:
   *   before — the request waits at the gate, PayPal has not seen it (the caller is mid-call);
   *   inside — PayPal is sent its headers and starts handling it, then waits for the body (the
   *            emulator marks it in flight: a second one with the same PayPal-Request-Id races it;
   *            `arrived` resolves when the headers are sent, so wait for the emulator's mark).
   */
  hold(match: RegExp, mode: 'before' | 'inside'): Hold;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of the emulator that can hold one request at a chosen
 * point: a race test's barrier, so the race is forced rather than hoped for with a sleep.
 * Everything else passes byte for byte, in both directions.
 */
export async function startPayPalGate(emu: PayPalEmulator): Promise<PayPalGate> {
  const target = new URL(emu.url);
  const holds: Array<{
    match: RegExp;
    mode: 'before' | 'inside';
    arrived: () => void;
    released: Promise<void>;
    release: () => void;
    taken: boolean;
  }> = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const hold = holds.find((h) => !h.taken && h.match.test(`${req.method} ${req.url}`));
    if (hold) hold.taken = true;
    if (hold?.mode === 'before') {
      hold.arrived();
      await hold.released;
    }
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: `${target.pathname.replace(/\/$/, '')}${req.url}`,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    if (hold?.mode === 'inside') {
      upstream.flushHeaders();
      hold.arrived();
      await hold.released;
    }
    upstream.end(Buffer.concat(chunks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold(match, mode) {
      let arrived!: () => void;
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const reached = new Promise<void>((r) => (arrived = r));
      holds.push({ match, mode, arrived: () => arrived(), released, release: () => release(), taken: false });
      return { arrived: reached, release: () => release() };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const h of holds) h.release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
