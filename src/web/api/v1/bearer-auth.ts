import type { Context, MiddlewareHandler } from 'hono';
import type { Db } from '../../../db/index.ts';
import { findAccessToken, type TokenActor } from '../../../domain/accounts/access-tokens.ts';
import { UnauthenticatedError } from '../../../lib/errors.ts';
import type { Clock } from '../../../lib/time.ts';
import { errorEnvelope } from '../../errors.ts';
import { apiMembership, originOf } from '../../middleware/actor.ts';

/** The OpenAPI security scheme name routes list in `security`. */
export const BEARER = 'bearerAuth';

const HEADER = /^Bearer +([\x21-\x7e]{1,200})$/i;

/**
 * Reads the caller from `Authorization: Bearer <token>` into `c.var.apiActor` (null when
 * absent or not live). Only that header: never a cookie, never the query string — so a
 * browser session can't be ridden into the API and there is no CSRF surface here.
 *
 * @example api.use(bearerAuth({ db, clock }))
 */
export function bearerAuth(opts: { db: Db; clock: Clock }): MiddlewareHandler {
  return async function bearerAuthMiddleware(c, next) {
    const token = HEADER.exec(c.req.header('authorization') ?? '')?.[1];
    const found = token ? await findAccessToken(opts.db, token, opts.clock.now()) : null;
    c.set('apiActor', found);
    c.set('actor', null);
    if (found) {
      const m = await apiMembership(opts.db, c, found.user.id, found.user.activeOrganizationId);
      // Naming an organization you do not belong to finds nothing, like any foreign id.
      if (!m && c.req.header('x-organization-id')) return c.json(errorEnvelope('not_found', 'No such organization.'), 404);
      c.set('actor', {
        userId: found.user.id,
        isPlatformAdmin: found.user.isAdmin,
        organizationId: m?.organizationId ?? null,
        roleName: m?.roleName ?? null,
        permissions: m?.permissions ?? new Set(),
        impersonatorUserId: null,
        apiKeyId: null,
        origin: originOf(c),
      });
    }
    await next();
  };
}

/**
 * Answers 401 `unauthenticated` (with RFC 6750 `WWW-Authenticate`) unless bearerAuth found a
 * live token: missing, unknown, revoked and expired tokens all look the same.
 *
 * @example createRoute({ ..., middleware: [requireToken] })
 */
export const requireToken: MiddlewareHandler = async function requireToken(c, next) {
  if (c.var.apiActor) return next();
  const sent = c.req.header('authorization') !== undefined;
  c.header('WWW-Authenticate', sent ? 'Bearer realm="api", error="invalid_token"' : 'Bearer realm="api"');
  const message = sent
    ? 'This access token is not valid: it is malformed, revoked or expired.'
    : 'Send an access token in the header `Authorization: Bearer <token>` (create one with POST /api/v1/auth/tokens).';
  return c.json(errorEnvelope('unauthenticated', message), 401);
};

/** The caller of a route behind `requireToken`; throws 401 if the middleware was forgotten. */
export function actor(c: Context): TokenActor {
  const a = c.var.apiActor;
  if (!a) throw new UnauthenticatedError();
  return a;
}
