import type { Context, MiddlewareHandler } from 'hono';
import type { Db } from '../../db/index.ts';
import { defaultOrganization, membershipOf, type Actor } from '../../domain/access/actor.ts';
import { isUuid } from '../../lib/ids.ts';

/**
 * Resolves `c.get('actor')` for a signed-in browser session: the user's active organization
 * (or their first) with the permissions of their role there — from the session, which each
 * process keeps only until something it depends on changes (domain/accounts/session-cache.ts),
 * so a role change takes effect on the member's next request.
 *
 * @example html.use(actorLoader({ db }))
 */
export function actorLoader(opts: { db: Db }): MiddlewareHandler {
  return async function actorLoaderMiddleware(c, next) {
    const auth = c.get('auth');
    c.set('actor', null);
    if (auth) {
      const m = auth.membership ?? (await defaultOrganization(opts.db, auth.user.id, auth.user.activeOrganizationId));
      c.set('actor', {
        userId: auth.user.id,
        isPlatformAdmin: auth.user.isAdmin && !auth.impersonatorUserId,
        organizationId: m?.organizationId ?? null,
        roleName: m?.roleName ?? null,
        permissions: m?.permissions ?? new Set(),
        impersonatorUserId: auth.impersonatorUserId,
        apiKeyId: null,
        origin: originOf(c),
      });
    }
    await next();
  };
}

/** The organization an API caller acts in: `X-Organization-Id` when they belong to it. */
export async function apiMembership(db: Db, c: Context, userId: string, activeOrganizationId: string | null) {
  const requested = c.req.header('x-organization-id');
  // Checked before it reaches SQL: a malformed id names no organization (404), never a 500.
  if (requested) return isUuid(requested) ? membershipOf(db, userId, requested) : null;
  return defaultOrganization(db, userId, activeOrganizationId);
}

export function originOf(c: Context) {
  return { ip: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null };
}

export type { Actor };
