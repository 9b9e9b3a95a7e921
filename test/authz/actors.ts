import { Hono } from 'hono';
import type { Actor } from '../../src/domain/access/actor.ts';
import { bearerAuth } from '../../src/web/api/v1/bearer-auth.ts';
import { actorLoader } from '../../src/web/middleware/actor.ts';
import { requestContext } from '../../src/web/middleware/request-context.ts';
import { sessionLoader } from '../../src/web/middleware/session.ts';
import type { TestContext } from '../helpers/context.ts';

/**
 * The actor production builds for a request, built by the same middleware the app mounts:
 * a browser's cookies go through `sessionLoader` + `actorLoader` (the HTML tree), a bearer
 * secret through `bearerAuth` (the JSON API). Tests that hand actors to domain functions
 * take them from here, so a change in how production derives an actor reaches them.
 */
export async function requestActor(
  ctx: TestContext,
  credentials: { cookie: string } | { bearer: string; organizationId?: string },
  ip = '192.0.2.250',
): Promise<Actor> {
  const probe = new Hono();
  let seen: Actor | null = null;
  probe.use(requestContext({ log: ctx.deps.log, trustedProxies: ctx.config.TRUSTED_PROXY_COUNT }));
  if ('cookie' in credentials) {
    probe.use(sessionLoader({ db: ctx.db, config: ctx.config, clock: ctx.clock }));
    probe.use(actorLoader({ db: ctx.db }));
  } else {
    probe.use(bearerAuth({ db: ctx.db, clock: ctx.clock }));
  }
  probe.get('/', (c) => {
    seen = c.var.actor;
    return c.body(null, 204);
  });
  const headers: Record<string, string> = { 'x-forwarded-for': ip };
  if ('cookie' in credentials) headers.cookie = credentials.cookie;
  else {
    headers.authorization = `Bearer ${credentials.bearer}`;
    if (credentials.organizationId) headers['x-organization-id'] = credentials.organizationId;
  }
  const res = await probe.request('/', { headers });
  if (res.status !== 204 || !seen) throw new Error(`no actor for these credentials (status ${res.status})`);
  return seen;
}

/** The Cookie header a TestBrowser would send. */
export const cookieOf = (browser: { cookies: Map<string, string> }) =>
  [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
