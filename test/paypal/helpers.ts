import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { createPayPalClient, PayPalError, type CreateOrderInput, type PayPalClient, type PayPalClientOptions } from '../../src/providers/paypal/client.ts';
import type { PayPalEmulator } from '../../src/providers/paypal/emulator.ts';

/** The organization topping up its wallet in these tests. */
export const ACME_ORG = '7d1f2c3a-5b6e-4f70-8a9b-0c1d2e3f4a5b';

export function clientFor(emu: PayPalEmulator, over: Partial<PayPalClientOptions> = {}): PayPalClient {
  return createPayPalClient({ baseUrl: emu.url, clientId: emu.clientId, clientSecret: emu.clientSecret, timeoutMs: 2_000, ...over });
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
export async function approvedOrder(paypal: PayPalClient, emu: PayPalEmulator, over: Partial<CreateOrderInput> = {}): Promise<string> {
  const order = await paypal.createOrder(topUp(over));
  emu.approve(order.id);
  return order.id;
}

/** Creates, approves and captures an order; returns the capture id. */
export async function capturedPayment(paypal: PayPalClient, emu: PayPalEmulator, over: Partial<CreateOrderInput> = {}): Promise<string> {
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
export async function startWebhookReceiver(status = 200): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
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
