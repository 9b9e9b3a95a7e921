import type { MiddlewareHandler } from 'hono';
import { secureRandomBytes } from '../../lib/crypto.ts';

/**
 * Sets the security headers on every response and a per-request CSP nonce (`c.get('nonce')`)
 * that layouts put on their few script and style tags. No 'unsafe-inline' and no
 * 'unsafe-eval': Alpine runs its CSP build and htmx has eval off.
 *
 * `formActions`: other origins a form may lead to. Chrome applies `form-action` to the redirect
 * that answers a form POST, so "Add funds" → 303 → PayPal's checkout needs PayPal's hosts here.
 *
 * @example app.use(securityHeaders({ hsts: config.isProduction, formActions: ['https://www.paypal.com'] }))
 */
export function securityHeaders(opts: { hsts: boolean; formActions?: string[] }): MiddlewareHandler {
  const formAction = ["'self'", ...(opts.formActions ?? [])].join(' ');
  return async function securityHeadersMiddleware(c, next) {
    const nonce = secureRandomBytes(16).toString('base64');
    c.set('nonce', nonce);
    await next();
    const h = c.res.headers;
    // A response with its own policy keeps it (a file download: default-src 'none'; sandbox).
    if (!h.has('Content-Security-Policy'))
      h.set(
        'Content-Security-Policy',
        [
          "default-src 'self'",
          `script-src 'self' 'nonce-${nonce}'`,
          `style-src 'self' 'nonce-${nonce}'`,
          "img-src 'self' data:",
          "font-src 'self'",
          "connect-src 'self'",
          "object-src 'none'",
          "base-uri 'none'",
          `form-action ${formAction}`,
          "frame-ancestors 'none'",
        ].join('; '),
      );
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'strict-origin-when-cross-origin');
    h.set('X-Frame-Options', 'DENY');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (opts.hsts) h.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
  };
}
