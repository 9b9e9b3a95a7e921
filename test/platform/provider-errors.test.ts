import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { CloudError } from '../../src/providers/cloud.ts';
import { handleError } from '../../src/web/errors.ts';

/**
 * A provider failure that reaches the web layer unconverted (a read the domain let through) is
 * never a 500 and never shows the provider's own words: the caller reads the white-label
 * message with a status that says whose problem it is.
 */
function appThrowing(err: Error) {
  const app = new Hono();
  app.onError(
    handleError(() => {
      throw new Error('no HTML here');
    }),
  );
  app.get('/api/v1/thing', () => {
    throw err;
  });
  return app;
}

const cases: Array<[CloudError, number, string]> = [
  [new CloudError('validation', 'Linode said: image is invalid', 'That choice was refused.'), 422, 'provider_refused'],
  [new CloudError('busy', 'Linode busy', 'The server is busy; try again in a moment.'), 409, 'server_busy'],
  [new CloudError('unavailable', 'Linode 503 maintenance', 'Servers are unavailable.'), 503, 'provider_unavailable'],
  [
    new CloudError('unauthorized', 'Linode 401: Invalid Token', 'Servers are unavailable.'),
    503,
    'provider_unavailable',
  ],
  [new CloudError('timeout', 'Linode timed out after 20 s', 'Servers are unavailable.'), 503, 'provider_unavailable'],
];

describe('provider errors at the edge', () => {
  it.each(cases)('%s answers its status with the customer message only', async (err, status, code) => {
    const res = await appThrowing(err).request('/api/v1/thing');
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code, message: err.customerMessage });
    expect(JSON.stringify(body)).not.toMatch(/linode/i);
  });

  it('passes a rate limit on with its Retry-After', async () => {
    const err = new CloudError('rate_limited', 'Linode 429', 'Too many requests; try again shortly.', {
      retryAfter: 7,
    });
    const res = await appThrowing(err).request('/api/v1/thing');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
  });
});
