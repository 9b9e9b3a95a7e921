import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { errorEnvelope } from '../errors.ts';

/** Every form of the HTML app fits in far less; uploads, when they come, get their own limit. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** A larger limit for the requests whose path matches `path` (an upload form, say). */
export interface LargerBody {
  path: RegExp;
  maxBytes: number;
  /**
   * And only when this holds (e.g. the request is signed in, so nobody anonymous gets a large
   * body buffered); otherwise the default limit. The middleware must then run after whatever
   * the check reads (the session loader).
   */
  when?: (c: Context) => boolean;
}

/**
 * Refuses a request body larger than `maxBytes` (default 64 KiB) with 413 before anything
 * reads it: a declared Content-Length is refused unread, and a body sent without one
 * (chunked) is counted as it arrives and refused as soon as it passes the limit, so no
 * oversized body is ever buffered, parsed or stored. Put it before anything that reads the
 * body (CSRF reads forms). A route that needs more is listed in `larger`, so every raised
 * limit is visible where the default is set. The refusal is an `HTTPException(413)`, which the
 * app's error handler renders (a page, or the error envelope under `/api/`); with `json` it is
 * the error envelope wherever the middleware is (the emulators).
 *
 * @example html.use(requestBodyLimit())
 * @example app.use('/_emulators/*', requestBodyLimit({ json: true }))
 * @example html.use(requestBodyLimit({ larger: [{ path: /^\/tickets\/[^/]+\/attachments$/, maxBytes: 10 * 1024 * 1024 }] }))
 */
export function requestBodyLimit(
  opts: { maxBytes?: number; larger?: readonly LargerBody[]; json?: boolean } = {},
): MiddlewareHandler {
  const limiter = (maxBytes: number) =>
    bodyLimit({
      maxSize: maxBytes,
      onError: (c: Context) => {
        const message = `The request is larger than the ${describeBytes(maxBytes)} accepted here.`;
        if (opts.json) return c.json(errorEnvelope('payload_too_large', message), 413);
        throw new HTTPException(413, { message });
      },
    });
  const fallback = limiter(opts.maxBytes ?? DEFAULT_BODY_LIMIT);
  const raised = (opts.larger ?? []).map((l) => ({ path: l.path, when: l.when, limit: limiter(l.maxBytes) }));
  return async function requestBodyLimitMiddleware(c, next) {
    // A request without a body: nothing to limit. Asking Hono's bodyLimit would build the full
    // Fetch Request for `raw.body`, which showed in profiles of every page. (Over HTTP/1.1 a
    // request without either header has no body; a Fetch Request cannot give GET one.)
    const length = c.req.header('content-length');
    const method = c.req.method;
    if (
      c.req.header('transfer-encoding') === undefined &&
      (length === '0' || (length === undefined && (method === 'GET' || method === 'HEAD')))
    )
      return next();
    const limit = raised.find((r) => r.path.test(c.req.path) && (!r.when || r.when(c)))?.limit ?? fallback;
    return limit(c, next);
  };
}

/** 65536 → "64 KB", 1048576 → "1 MB". */
export function describeBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.floor(n / (1024 * 1024))} MB` : `${Math.floor(n / 1024)} KB`;
}
