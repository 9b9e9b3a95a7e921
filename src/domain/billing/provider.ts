import { randomBytes } from 'node:crypto';
import type { Config } from '../../config.ts';
import { createPayPalClient, type PayPalClient } from '../../providers/paypal/client.ts';
import { createPayPalEmulatorState, type PayPalEmulatorState } from '../../providers/paypal/emulator/index.ts';
import { issueReceipt } from '../invoices/receipts.ts';
import type { OnCredited } from '../payments/settlement.ts';

/** Where the demo emulator is mounted on our own app (src/app.ts). */
export const PAYPAL_EMULATOR_PATH = '/_emulators/paypal';

/** What the top-up code and the webhook endpoint need to know about PayPal (see `Deps.paypal`). */
export interface BillingDeps {
  /** The PayPal this process talks to; null when none is configured (top-ups answer 503). */
  paypal: PayPalClient | null;
  /** Webhook deliveries are verified against this id; none → every delivery is refused. */
  paypalWebhookId: string | undefined;
  /** The in-process emulator to mount at `PAYPAL_EMULATOR_PATH` (demo mode), else null. */
  paypalEmulator: PayPalEmulatorState | null;
  /** Issues the receipt in the transaction that credits a top-up (always set by `billingDeps`). */
  onCredited?: OnCredited;
}

/**
 * Which PayPal this process uses:
 *   PAYPAL_CLIENT_ID + _SECRET   → PayPal at PAYPAL_BASE_URL (sandbox unless told otherwise),
 *                                  webhooks verified against PAYPAL_WEBHOOK_ID;
 *   else `emulator` given        → demo: the emulator lives in this process under
 *                                  /_emulators/paypal; browsers reach it through PUBLIC_URL,
 *                                  the client through `emulator.loopbackUrl` (PUBLIC_URL may be
 *                                  a proxy we cannot reach), and its signed webhooks come back
 *                                  to `<loopback>/webhooks/paypal` for a webhook id made up now;
 *   else                         → none.
 *
 * @example billingDeps(config, { emulator: { loopbackUrl: loopbackOrigin(config) } })
 */
export function billingDeps(config: Config, opts: { emulator?: { loopbackUrl: string } } = {}): BillingDeps {
  const onCredited: OnCredited = async (trx, paymentId) => {
    await issueReceipt(trx, paymentId, { brandName: config.BRAND_NAME });
  };
  if (config.PAYPAL_CLIENT_ID && config.PAYPAL_CLIENT_SECRET) {
    const paypal = createPayPalClient({ baseUrl: config.PAYPAL_BASE_URL, clientId: config.PAYPAL_CLIENT_ID, clientSecret: config.PAYPAL_CLIENT_SECRET });
    return { paypal, paypalWebhookId: config.PAYPAL_WEBHOOK_ID, paypalEmulator: null, onCredited };
  }
  if (!opts.emulator || !config.emulatorsEnabled) return { paypal: null, paypalWebhookId: undefined, paypalEmulator: null, onCredited };

  const loopback = opts.emulator.loopbackUrl.replace(/\/+$/, '');
  const clientSecret = randomBytes(24).toString('base64url');
  const webhookId = `WH-DEMO-${randomBytes(8).toString('hex').toUpperCase()}`;
  const state = createPayPalEmulatorState({
    basePath: PAYPAL_EMULATOR_PATH,
    publicBaseUrl: `${config.publicUrl}${PAYPAL_EMULATOR_PATH}`,
    appWebhookUrl: `${loopback}/webhooks/paypal`,
    webhookId,
    clientId: 'skypanel-demo',
    clientSecret,
  });
  const paypal = createPayPalClient({ baseUrl: `${loopback}${PAYPAL_EMULATOR_PATH}`, clientId: 'skypanel-demo', clientSecret });
  return { paypal, paypalWebhookId: webhookId, paypalEmulator: state, onCredited };
}

/**
 * Origins the browser is sent to for approving a payment, for the CSP's `form-action` (Chrome
 * applies it to the redirect after a form POST). Real PayPal: its checkout hosts; another base
 * URL (a proxy, a remote emulator): that origin. The in-process emulator is same-origin.
 */
export function paypalApprovalOrigins(config: Config): string[] {
  if (!config.PAYPAL_CLIENT_ID) return [];
  const host = new URL(config.PAYPAL_BASE_URL).hostname;
  if (host === 'paypal.com' || host.endsWith('.paypal.com')) return ['https://www.paypal.com', 'https://www.sandbox.paypal.com'];
  return [new URL(config.PAYPAL_BASE_URL).origin];
}

/** This process's own HTTP origin over loopback (HOST may be a wildcard or an IPv6 address). */
export function loopbackOrigin(config: Config): string {
  const wildcard = config.HOST === '0.0.0.0' || config.HOST === '::';
  const host = wildcard ? '127.0.0.1' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}`;
}
