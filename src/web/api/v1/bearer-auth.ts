import type { Context, MiddlewareHandler } from 'hono';
import type { Db } from '../../../db/index.ts';
import type { Actor } from '../../../domain/access/actor.ts';
import { orgActor } from '../../../domain/access/organization.ts';
import {
  accessTokenUseIsStale,
  readAccessToken,
  touchAccessToken,
  type TokenActor,
} from '../../../domain/accounts/access-tokens.ts';
import type { SessionCache } from '../../../domain/accounts/session-cache.ts';
import { hashToken } from '../../../lib/crypto.ts';
import { findApiKey } from '../../../domain/api-keys/authenticate.ts';
import { API_KEY_PREFIX } from '../../../domain/api-keys/keys.ts';
import { ForbiddenError, UnauthenticatedError } from '../../../lib/errors.ts';
import type { Clock } from '../../../lib/time.ts';
import { errorEnvelope } from '../../errors.ts';
import { apiMembership, originOf } from '../../middleware/actor.ts';

/** The OpenAPI security scheme name routes list in `security`. */
export const BEARER = 'bearerAuth';

const HEADER = /^Bearer +([\x21-\x7e]{1,200})$/i;

const notFound = (c: Context) => c.json(errorEnvelope('not_found', 'No such organization.'), 404);

/**
 * Reads the caller from `Authorization: Bearer <token>` into `c.get('apiActor')` (null when
 * absent or not live) and `c.get('actor')`. Only that header: never a cookie, never the query
 * string — so a browser session can't be ridden into the API and there is no CSRF surface.
 * An access token (`spt_`) acts as its user in their active organization, or the one named
 * by `X-Organization-Id`. An API key (`spk_`) acts only in its own organization, with its
 * permissions that the owner still holds there, and never with platform-admin powers.
 *
 * With `cache`, an access token (with the membership it acts in) read recently is used without
 * a database read while nothing it depends on has changed (src/domain/accounts/session-cache.ts).
 *
 * @example api.use(bearerAuth({ db, clock, cache: deps.tokenCache }))
 */
export function bearerAuth(opts: { db: Db; clock: Clock; cache?: SessionCache<CachedToken> }): MiddlewareHandler {
  return async function bearerAuthMiddleware(c, next) {
    const token = HEADER.exec(c.req.header('authorization') ?? '')?.[1];
    c.set('apiActor', null);
    c.set('actor', null);
    if (token?.startsWith(API_KEY_PREFIX)) {
      const key = await findApiKey(opts.db, token, opts.clock.now());
      if (key) {
        // A key is bound to one organization: naming any other is like naming a foreign id.
        const requested = c.req.header('x-organization-id');
        if (requested !== undefined && requested.trim().toLowerCase() !== key.organizationId) return notFound(c);
        c.set('apiActor', { tokenId: key.keyId, via: 'api_key', user: { ...key.user, isAdmin: false } });
        c.set('actor', {
          userId: key.user.id,
          isPlatformAdmin: false,
          organizationId: key.organizationId,
          roleName: key.roleName,
          permissions: key.permissions,
          impersonatorUserId: null,
          apiKeyId: key.keyId,
          origin: originOf(c),
        });
      }
      return next();
    }
    const resolved = token ? await accessTokenCaller(opts, c, token) : null;
    const found = resolved?.actor ?? null;
    c.set('apiActor', found);
    if (found) {
      const m = resolved!.membership;
      // Naming an organization you do not belong to finds nothing, like any foreign id.
      if (!m && c.req.header('x-organization-id')) return notFound(c);
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

/** What an access token resolves to, kept per token and requested organization. */
export interface CachedToken {
  actor: TokenActor;
  membership: Awaited<ReturnType<typeof apiMembership>>;
  expiresAt: Date;
}

/** An access token's caller and the membership it acts in (`X-Organization-Id` or the default). */
async function accessTokenCaller(
  opts: { db: Db; clock: Clock; cache?: SessionCache<CachedToken> },
  c: Context,
  token: string,
): Promise<CachedToken | null> {
  const now = opts.clock.now();
  const cache = opts.cache?.active ? opts.cache : null;
  const key = cache ? `${hashToken(token).toString('base64')}|${c.req.header('x-organization-id') ?? ''}` : '';
  const hit = cache?.get(key);
  if (hit && hit.session.expiresAt > now) {
    if (accessTokenUseIsStale(hit.lastSeenAt, now)) {
      await touchAccessToken(opts.db, hit.session.actor.tokenId, now);
      hit.lastSeenAt = now;
    }
    return hit.session;
  }
  const version = cache?.version ?? 0;
  const found = await readAccessToken(opts.db, token, now);
  if (!found) return null;
  let lastUsedAt = found.lastUsedAt;
  if (accessTokenUseIsStale(lastUsedAt, now)) {
    await touchAccessToken(opts.db, found.actor.tokenId, now);
    lastUsedAt = now;
  }
  const user = found.actor.user;
  const resolved = {
    actor: found.actor,
    membership: await apiMembership(opts.db, c, user.id, user.activeOrganizationId),
    expiresAt: found.expiresAt,
  };
  cache?.set(key, resolved, user.id, lastUsedAt ?? now, version);
  return resolved;
}

/**
 * Answers 401 `unauthenticated` (with RFC 6750 `WWW-Authenticate`) unless bearerAuth found a
 * live token: missing, unknown, revoked and expired tokens all look the same.
 *
 * @example createRoute({ ..., middleware: [requireToken] })
 */
export const requireToken: MiddlewareHandler = async function requireToken(c, next) {
  if (c.get('apiActor')) return next();
  const sent = c.req.header('authorization') !== undefined;
  c.header('WWW-Authenticate', sent ? 'Bearer realm="api", error="invalid_token"' : 'Bearer realm="api"');
  const message = sent
    ? 'This access token or API key is not valid: it is malformed, revoked or expired.'
    : 'Send an access token in the header `Authorization: Bearer <token>` (create one with POST /api/v1/auth/tokens).';
  return c.json(errorEnvelope('unauthenticated', message), 401);
};

/** `createRoute` options of a route any live token may call: `requireToken`, and the bearer scheme in the document. */
export const secured = { middleware: [requireToken] as [MiddlewareHandler], security: [{ [BEARER]: [] as string[] }] };

/** The token behind a route's caller (after `requireToken`); throws 401 if the middleware was forgotten. */
export function actor(c: Context): TokenActor {
  const a = c.get('apiActor');
  if (!a) throw new UnauthenticatedError();
  return a;
}

/** Who calls, in the organization they act in (after `requireToken`); throws 401 if the middleware was forgotten. */
export function caller(c: Context): Actor {
  const a = c.get('actor');
  if (!a) throw new UnauthenticatedError();
  return a;
}

/**
 * The caller acting in the organization named by the `{id}` path parameter (`orgActor`): not a
 * member → 404; an API key → only its own organization, never beyond its permissions.
 */
export const inOrg = (deps: { db: Db }, c: Context) => orgActor(deps.db, caller(c), c.req.param('id') ?? '');

/**
 * Refuses (403) callers authenticated by an API key: credentials are managed with an access
 * token or in the browser, so a leaked key cannot mint, list or revoke keys.
 *
 * @example createRoute({ ..., middleware: [requireToken, refuseApiKeys] })
 */
export const refuseApiKeys: MiddlewareHandler = async function refuseApiKeys(c, next) {
  if (c.get('apiActor')?.via === 'api_key')
    throw new ForbiddenError('API keys cannot manage credentials. Use an access token or the settings page.');
  return next();
};
