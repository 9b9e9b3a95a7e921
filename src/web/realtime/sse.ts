import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { userOrganizations } from '../../domain/accounts/me.ts';
import type { RealtimeEvent } from '../../db/notify.ts';
import type { AppDeps } from '../context.ts';
import type { RealtimeHub, Subscriber } from './hub.ts';

const HEARTBEAT_MS = 25_000;
/**
 * Who may receive what is decided when a stream opens; closing streams after a few minutes
 * (browsers reconnect by themselves) bounds how long a removed member or a revoked session
 * keeps receiving hints. Each stream's length is drawn between 4 and 5 minutes, so streams
 * opened together (every tab after a deploy) do not all reconnect in the same second.
 */
const MAX_STREAM_MS = 5 * 60_000;
const streamMs = () => MAX_STREAM_MS - Math.floor(Math.random() * 60_000);
/**
 * A client this far behind (its socket's unsent bytes) is not reading: its stream ends (the
 * browser reconnects and pages re-read), rather than events piling up in memory.
 */
const MAX_BACKLOG_BYTES = 64 * 1024;
/**
 * What a handler answers once it wrote the response itself: @hono/node-server then writes
 * nothing. It must be the platform's Response: once a server starts, @hono/node-server swaps
 * the global `Response` for a lighter class process-wide, and writes those answers from a cache
 * without looking at this header. `clone()` answers with the platform's class whichever
 * `Response` is global now (RESPONSE_ALREADY_SENT itself is the lighter one when its module was
 * first loaded after a server started). Made per request, so no request changes a shared object.
 */
const alreadySent = () => new Response(null, { headers: RESPONSE_ALREADY_SENT.headers }).clone();

/**
 * `GET /events`: the signed-in user's server-sent event stream. Each event's name is its
 * topic (htmx's SSE extension swaps on it); its data is the small JSON payload.
 *
 * Served by Node's HTTP server (src/main.ts), a stream is written straight to its response:
 * a few kilobytes and one timer per open stream, and each event's frame is serialised once
 * for all its subscribers (hub.ts), so one process holds 10,000 streams and delivers an event
 * to all of them well within a second (`npm run bench:sse`). Where there is no Node response
 * (`app.request()` in tests) the same stream goes through Hono's streaming helper instead.
 */
export function sseRoutes(deps: AppDeps) {
  const app = new Hono<{ Bindings: { outgoing?: ServerResponse } }>();
  app.get('/events', async (c) => {
    const auth = c.get('auth');
    if (!auth) return c.text('Sign in to receive events.', 401);
    const orgs = await userOrganizations(deps.db, auth.user.id, { cache: deps.cache });
    const who = {
      userId: auth.user.id,
      organizationIds: orgs.map((o) => o.id),
      permissions: Object.fromEntries(orgs.map((o) => [o.id, o.permissions])),
      isAdmin: auth.user.isAdmin,
    };
    const outgoing = c.env?.outgoing;
    if (outgoing) {
      nodeStream(outgoing, deps.hub, who);
      return alreadySent();
    }
    c.header('Cache-Control', 'no-store');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      const queue: RealtimeEvent[] = [];
      let wake: (() => void) | null = null;
      const unsubscribe = deps.hub.subscribe({
        ...who,
        send: (e) => {
          queue.push(e);
          wake?.();
        },
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: 'ready', data: '{}' });
      const closeAt = Date.now() + streamMs();
      while (!stream.aborted && Date.now() < closeAt) {
        const event = queue.shift();
        if (event) {
          await stream.writeSSE({ event: event.topic, data: JSON.stringify(event.data ?? {}) });
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, HEARTBEAT_MS);
        });
        clearTimeout(timer);
        wake = null;
        if (!queue.length && !stream.aborted) await stream.write(': heartbeat\n\n');
      }
      unsubscribe();
    });
  });
  return app;
}

/** One stream on a Node response: the head, `ready`, then each event's frame as it comes, a heartbeat, an end. */
function nodeStream(res: ServerResponse, hub: RealtimeHub, who: Omit<Subscriber, 'send'>): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'keep-alive',
  });
  res.write('event: ready\ndata: {}\n\n');
  let open = true;
  const end = () => {
    if (!open) return;
    open = false;
    unsubscribe();
    clearInterval(heartbeat);
    clearTimeout(closer);
    res.end();
  };
  const write = (frame: string) => {
    if (!open) return;
    if (res.writableLength > MAX_BACKLOG_BYTES) return end();
    res.write(frame);
  };
  const unsubscribe = hub.subscribe({ ...who, send: (_event, frame) => write(frame) });
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
  const closer = setTimeout(end, streamMs());
  res.once('close', end);
}
