import { randomBytes } from 'node:crypto';
import type { Config } from '../../config.ts';
import { createPayPalClient, type PayPalClient } from './client.ts';
import { createPayPalEmulatorState, type PayPalEmulatorState } from './emulator/index.ts';

export { createPayPalClient, PayPalError, type PayPalClient, type PayPalClientOptions } from './client.ts';

/** Where the demo emulator is mounted on our own app (src/services.ts lists it, src/app.ts mounts it). */
export const PAYPAL_EMULATOR_PATH = '/_emulators/paypal';

/** The PayPal this process talks to, as src/services.ts wires it. */
export interface PayPalWiring {
  /** The client; null when none is configured (top-ups answer 503). */
  client: PayPalClient | null;
  /** Webhook deliveries are verified against this id; none → every delivery is refused. */
  webhookId: string | undefined;
  /** Demo: the emulator's state, to be served under `PAYPAL_EMULATOR_PATH`; else null. */
  emulator: PayPalEmulatorState | null;
}

/**
 * Which PayPal this process uses:
 *   PAYPAL_CLIENT_ID + _SECRET   → PayPal at PAYPAL_BASE_URL (sandbox unless told otherwise),
 *                                  webhooks verified against PAYPAL_WEBHOOK_ID;
 *   else `demo` given and        → the emulator, served by this process under /_emulators/paypal:
 *   emulators enabled              browsers reach it through PUBLIC_URL, the client through
 *                                  `demo.loopbackUrl` (PUBLIC_URL may be a proxy we cannot
 *                                  reach), and its signed webhooks come back to
 *                                  `<loopback>/webhooks/paypal` for a webhook id made up now;
 *   else                         → none.
 *
 * @example paypalFromConfig(config, { demo: { loopbackUrl: config.loopbackOrigin } })
 */
export function paypalFromConfig(config: Config, opts: { demo?: { loopbackUrl: string } } = {}): PayPalWiring {
  if (config.PAYPAL_CLIENT_ID && config.PAYPAL_CLIENT_SECRET) {
    const client = createPayPalClient({
      baseUrl: config.PAYPAL_BASE_URL,
      clientId: config.PAYPAL_CLIENT_ID,
      clientSecret: config.PAYPAL_CLIENT_SECRET,
    });
    return { client, webhookId: config.PAYPAL_WEBHOOK_ID, emulator: null };
  }
  if (!opts.demo || !config.emulatorsEnabled) return { client: null, webhookId: undefined, emulator: null };

  const loopback = opts.demo.loopbackUrl.replace(/\/+$/, '');
  const clientSecret = randomBytes(24).toString('base64url');
  const webhookId = `WH-DEMO-${randomBytes(8).toString('hex').toUpperCase()}`;
  const emulator = createPayPalEmulatorState({
    basePath: PAYPAL_EMULATOR_PATH,
    publicBaseUrl: `${config.publicUrl}${PAYPAL_EMULATOR_PATH}`,
    appWebhookUrl: `${loopback}/webhooks/paypal`,
    webhookId,
    clientId: 'skypanel-demo',
    clientSecret,
  });
  const client = createPayPalClient({
    baseUrl: `${loopback}${PAYPAL_EMULATOR_PATH}`,
    clientId: 'skypanel-demo',
    clientSecret,
  });
  return { client, webhookId, emulator };
}

/**
 * Origins the browser is sent to for approving a payment, for the CSP's `form-action` (Chrome
 * applies it to the redirect after a form POST). Real PayPal: its checkout hosts; another base
 * URL (a proxy, a remote emulator): that origin. The in-process emulator is same-origin.
 */
export function paypalApprovalOrigins(config: Pick<Config, 'PAYPAL_CLIENT_ID' | 'PAYPAL_BASE_URL'>): string[] {
  if (!config.PAYPAL_CLIENT_ID) return [];
  const host = new URL(config.PAYPAL_BASE_URL).hostname;
  if (host === 'paypal.com' || host.endsWith('.paypal.com'))
    return ['https://www.paypal.com', 'https://www.sandbox.paypal.com'];
  return [new URL(config.PAYPAL_BASE_URL).origin];
}
