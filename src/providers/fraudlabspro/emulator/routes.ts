import type { Socket } from 'node:net';
import { Hono, type Context } from 'hono';
import { ERRORS, INJECTED_ERRORS, errorReply } from './errors.ts';
import { toV1, xml } from './formats.ts';
import { findTransaction, hold, keyError, recordRequest, screen, type FraudLabsProEmulatorState } from './state.ts';
import type { Params } from './types.ts';

/** The emulator's endpoints (listed in index.ts) over its state, as a Hono app. */
export function fraudLabsProRoutes(state: FraudLabsProEmulatorState): Hono {
  const app = new Hono();

  const screenHandler = (version: 'v1' | 'v2') => async (c: Context) => {
    const path = `/${version}/order/screen`;
    const { params, query, body } = await readParams(c);
    record(state, c, path, query, body);
    // v1 answers XML unless JSON is asked for; v2 answers JSON unless XML is.
    const format =
      version === 'v1' ? (params.format === 'json' ? 'json' : 'xml') : params.format === 'xml' ? 'xml' : 'json';

    const failed = await injectedFailure(state, c, version, format);
    if (failed) return failed;
    if (params.key === 'slow' && !(await hold(state, state.slowMs, c.req.raw.signal)))
      return new Response(null, { status: 499 });

    const result = screen(state, params);
    if ('code' in result) return errorReply(c, version, format, result);
    const payload = version === 'v2' ? result : toV1(result, params);
    return format === 'xml' ? xml(c, payload, 200) : c.json(payload, 200);
  };

  app.post('/v2/order/screen', screenHandler('v2'));
  app.get('/v1/order/screen', screenHandler('v1'));
  app.post('/v1/order/screen', screenHandler('v1'));

  app.post('/v2/order/feedback', async (c) => {
    const { params, query, body } = await readParams(c);
    record(state, c, '/v2/order/feedback', query, body);
    const format = params.format === 'xml' ? 'xml' : 'json';
    const keyProblem = keyError(state, params.key);
    if (keyProblem) return errorReply(c, 'v2', format, keyProblem);
    const t = findTransaction(state, { id: params.id ?? '' });
    if (!t) return errorReply(c, 'v2', format, ERRORS.notFound);
    const action = (params.action ?? '').toUpperCase();
    if (action !== 'APPROVE' && action !== 'REJECT' && action !== 'REJECT_BLACKLIST')
      return errorReply(c, 'v2', format, ERRORS.invalidAction);
    if (t.feedback)
      return errorReply(
        c,
        'v2',
        format,
        t.feedback.action === 'APPROVE' ? ERRORS.alreadyApproved : ERRORS.alreadyRejected,
      );

    t.feedback = { action, note: params.note ?? null };
    t.response.fraudlabspro_status = action === 'APPROVE' ? 'APPROVE' : 'REJECT';
    if (action === 'REJECT_BLACKLIST') {
      state.blacklist.ips.add(t.response.ip_geolocation.ip);
      if (t.params.email) state.blacklist.emails.add(t.params.email.trim().toLowerCase());
    }
    const payload = { fraudlabspro_id: t.id };
    return format === 'xml' ? xml(c, payload, 200) : c.json(payload, 200);
  });

  app.get('/v2/order/result', async (c) => {
    const { params, query, body } = await readParams(c);
    record(state, c, '/v2/order/result', query, body);
    const format = params.format === 'xml' ? 'xml' : 'json';
    const keyProblem = keyError(state, params.key);
    if (keyProblem) return errorReply(c, 'v2', format, keyProblem);
    const t = findTransaction(state, params);
    if (!t) return errorReply(c, 'v2', format, ERRORS.notFound);
    const payload = { ...t.response, remaining_credits: state.credits };
    return format === 'xml' ? xml(c, payload, 200) : c.json(payload, 200);
  });

  for (const path of ['/v2/order/screen', '/v2/order/feedback', '/v2/order/result', '/v1/order/screen']) {
    app.all(path, (c) => c.json({ error: { error_code: 405, error_message: 'METHOD NOT ALLOWED' } }, 405));
  }
  app.all('*', (c) => c.json({ error: { error_code: 404, error_message: 'NOT FOUND' } }, 404));
  return app;
}

/** Parameters from the query string, a form body or a JSON body, merged (body wins). */
async function readParams(c: Context): Promise<{ params: Params; query: Params; body: Params }> {
  const query = Object.fromEntries(new URL(c.req.url).searchParams);
  const contentType = c.req.header('content-type') ?? '';
  const text = c.req.method === 'GET' || c.req.method === 'HEAD' ? '' : await c.req.text();
  let body: Params = {};
  if (text && contentType.includes('json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        body = Object.fromEntries(
          Object.entries(parsed).flatMap(([k, v]) =>
            v === null || v === undefined || typeof v === 'object' ? [] : [[k, String(v)]],
          ),
        );
      }
    } catch {
      body = {};
    }
  } else if (text) {
    body = Object.fromEntries(new URLSearchParams(text));
  }
  return { params: { ...query, ...body }, query, body };
}

function record(state: FraudLabsProEmulatorState, c: Context, path: string, query: Params, body: Params) {
  recordRequest(state, { method: c.req.method, path, query, body, contentType: c.req.header('content-type') ?? null });
}

/** Applies a queued failure; returns a response to send, or null to carry on normally. */
async function injectedFailure(
  state: FraudLabsProEmulatorState,
  c: Context,
  version: 'v1' | 'v2',
  format: 'json' | 'xml',
): Promise<Response | null> {
  const failure = state.failures.shift();
  if (!failure) return null;
  if (failure === '500')
    return c.html(
      '<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>',
      500,
    );
  if (failure === 'non_json')
    return c.html(
      '<html><body><h1>Service temporarily unavailable</h1><p>Please try again later.</p></body></html>',
      200,
    );
  if (failure === 'timeout') {
    const stillThere = await hold(state, state.holdMs, c.req.raw.signal);
    return stillThere
      ? c.html('<html><body><h1>504 Gateway Time-out</h1></body></html>', 504)
      : new Response(null, { status: 499 });
  }
  if (failure === 'reset') {
    const socket = (c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket;
    if (socket) {
      socket.destroy();
      return new Response(null, { status: 499 });
    }
    return c.html('<html><body><h1>502 Bad Gateway</h1></body></html>', 502);
  }
  const error = INJECTED_ERRORS[failure];
  return error ? errorReply(c, version, format, error) : null;
}
