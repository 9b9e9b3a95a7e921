import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { handlePayPalWebhook } from '../../domain/payments/paypal-webhook.ts';
import type { AppDeps } from '../context.ts';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * `POST /webhooks/paypal`: PayPal's deliveries. Mounted on the top-level app, outside the
 * HTML tree: no session, no CSRF (PayPal has neither); its authentication is the signature,
 * which the domain verifies through PayPal before believing anything. The raw body is read
 * once, as text, and handed on byte for byte (verification needs it unchanged). Answers the
 * status the domain chose: 2xx stops PayPal's retries, 5xx asks for them.
 */
export function paypalWebhookRoutes(deps: AppDeps) {
  const app = new Hono();
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ outcome: 'rejected', error: 'The body is larger than 1 MiB.' }, 413) });

  app.post('/webhooks/paypal', limit, async (c) => {
    const body = await c.req.text();
    const answer = await handlePayPalWebhook({ ...deps, webhookId: deps.paypalWebhookId }, { headers: c.req.raw.headers, body });
    c.header('Cache-Control', 'no-store');
    return c.json({ outcome: answer.outcome }, answer.status);
  });

  return app;
}
