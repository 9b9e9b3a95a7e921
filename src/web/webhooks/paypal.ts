import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { handlePayPalWebhook } from '../../domain/payments/paypal-webhook.ts';
import type { AppDeps } from '../context.ts';
import { rateLimit } from '../middleware/rate-limit.ts';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * `POST /webhooks/paypal`: PayPal's deliveries. Mounted on the top-level app, outside the
 * HTML tree: no session, no CSRF (PayPal has neither); its authentication is the signature,
 * which the domain verifies through PayPal before believing anything. The raw body is read
 * once, as text, and handed on byte for byte (verification needs it unchanged). Answers the
 * status the domain chose: 2xx stops PayPal's retries, 5xx asks for them.
 *
 * Anyone can call it, so before the body is read it is rate-limited per IP: the anonymous
 * tier's number (RATE_LIMIT_ANONYMOUS) per window, counted apart from page views. PayPal
 * retries a refused delivery later (for 3 days); its addresses can be let through with an
 * `allow` IP rule.
 */
export function paypalWebhookRoutes(deps: AppDeps) {
  const app = new Hono();
  const perIp = rateLimit({
    db: deps.db,
    config: deps.config,
    clock: deps.clock,
    limiter: deps.rateLimiter,
    bucket: 'paypal-webhook',
    limit: deps.config.RATE_LIMIT_ANONYMOUS,
    onLimited: (c, _retryAfter, blocked) =>
      c.json(
        {
          outcome: 'rejected',
          error: blocked ? 'Deliveries from this address are blocked.' : 'Too many deliveries from this address.',
        },
        blocked ? 403 : 429,
      ),
  });
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ outcome: 'rejected', error: 'The body is larger than 1 MiB.' }, 413),
  });

  app.post('/webhooks/paypal', perIp, limit, async (c) => {
    const body = await c.req.text();
    const answer = await handlePayPalWebhook(
      { ...deps, webhookId: deps.paypalWebhookId },
      { headers: c.req.raw.headers, body },
    );
    c.header('Cache-Control', 'no-store');
    return c.json({ outcome: answer.outcome }, answer.status);
  });

  return app;
}
