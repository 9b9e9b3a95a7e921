import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { userOrganizations } from '../../domain/accounts/me.ts';
import type { RealtimeEvent } from '../../db/notify.ts';
import type { AppDeps } from '../context.ts';

const HEARTBEAT_MS = 25_000;
/**
 * Who may receive what is decided when a stream opens; closing streams after a few minutes
 * (browsers reconnect by themselves) bounds how long a removed member or a revoked session
 * keeps receiving hints.
 */
const MAX_STREAM_MS = 5 * 60_000;

/**
 * `GET /events`: the signed-in user's server-sent event stream. Each event's name is its
 * topic (htmx's SSE extension swaps on it); its data is the small JSON payload.
 */
export function sseRoutes(deps: AppDeps) {
  const app = new Hono();
  app.get('/events', async (c) => {
    const auth = c.get('auth');
    if (!auth) return c.text('Sign in to receive events.', 401);
    const orgs = await userOrganizations(deps.db, auth.user.id);
    c.header('Cache-Control', 'no-store');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      const queue: RealtimeEvent[] = [];
      let wake: (() => void) | null = null;
      const unsubscribe = deps.hub.subscribe({
        userId: auth.user.id,
        organizationIds: orgs.map((o) => o.id),
        isAdmin: auth.user.isAdmin,
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
      const closeAt = Date.now() + MAX_STREAM_MS;
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
