import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, RateLimitedError } from '../lib/errors.ts';
import { CloudError } from '../providers/cloud.ts';
import { sameSiteReferer, signInPath } from './local-path.ts';
import type { Renderer } from './render.ts';

/** The JSON error envelope used by every `/api/*` response. */
export function errorEnvelope(code: string, message: string, fields?: Record<string, string>) {
  return { error: fields ? { code, message, fields } : { code, message } };
}

const isApi = (c: Context) => c.req.path.startsWith('/api/');

/** How a provider's failure reaches our callers: its input refused is theirs to fix, anything else is ours (503). */
const CLOUD_STATUS: Partial<Record<CloudError['kind'], { status: number; code: string }>> = {
  validation: { status: 422, code: 'provider_refused' },
  busy: { status: 409, code: 'server_busy' },
  unavailable: { status: 503, code: 'provider_unavailable' },
};

/** app.onError: domain errors keep their status; anything else is a logged 500 with no detail. */
export function handleError(view: () => Renderer) {
  return (err: Error, c: Context) => {
    let status = 500;
    let code = 'internal_error';
    let message = 'Something went wrong on our side. It has been logged; please try again.';
    let fields: Record<string, string> | undefined;
    if (err instanceof AppError) {
      ({ status, code, message } = err);
      fields = err.fields;
      if (err instanceof RateLimitedError) c.header('Retry-After', String(err.retryAfterSeconds));
    } else if (err instanceof CloudError) {
      // A provider failure the domain did not turn into its own error (a read, mostly): the
      // customer reads the white-label words, staff find the provider's own in the log.
      c.get('log')?.warn({ err: err.message, kind: err.kind }, 'server provider error');
      ({ status, code } = CLOUD_STATUS[err.kind] ?? CLOUD_STATUS.unavailable!);
      message = err.customerMessage;
      if (err.kind === 'rate_limited' && err.opts.retryAfter) c.header('Retry-After', String(err.opts.retryAfter));
    } else if (err instanceof HTTPException && err.status < 500) {
      status = err.status;
      code = status === 400 ? 'bad_request' : status === 413 ? 'payload_too_large' : 'http_error';
      message = err.message || 'The request could not be processed.';
    } else {
      c.get('log')?.error({ err: { message: err.message, stack: err.stack } }, 'unhandled error');
    }
    if (isApi(c)) return c.json(errorEnvelope(code, message, fields), status as 500);
    return view().page(
      c,
      'shared/error',
      {
        status,
        code,
        message,
        // Not signed in: sign-in, then back. A form refused (expired token): back to its page.
        signIn: status === 401 ? signInPath(c) : null,
        back: code === 'csrf_failed' ? sameSiteReferer(c, '/') : null,
      },
      { layout: 'public', status: status as 500, title: `Error ${status}` },
    );
  };
}

export function handleNotFound(view: () => Renderer) {
  return (c: Context) => {
    if (isApi(c)) return c.json(errorEnvelope('not_found', 'No such endpoint or resource.'), 404);
    return view().page(
      c,
      'shared/error',
      { status: 404, message: 'We could not find that page.' },
      { layout: 'public', status: 404, title: 'Not found' },
    );
  };
}
