import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  listAccessTokens,
  listSessions,
  revokeOwnAccessToken,
  revokeOwnSession,
} from '../../../../domain/accounts/sessions.ts';
import { isUuid } from '../../../../lib/ids.ts';
import { NotFoundError } from '../../../../lib/errors.ts';
import type { AppDeps } from '../../../context.ts';
import { actor, caller, refuseApiKeys, requireToken, secured } from '../bearer-auth.ts';
import { errorResponses, json, pathParam, Timestamp } from '../schemas.ts';

/**
 * Where the caller is signed in, as on Settings → Security (domain/accounts/sessions.ts): the
 * browser sessions the page lists, and the JSON API access tokens, the one making the call
 * marked `current`. Never a token or its hash. Access tokens only: an API key neither sees
 * nor ends its owner's sign-ins.
 */
const own = {
  ...secured,
  middleware: [requireToken, refuseApiKeys] as [MiddlewareHandler, MiddlewareHandler],
};
const keyRefused = 'Made with an API key: use an access token (POST /auth/tokens).';

const SignedInSession = z
  .object({
    id: z.uuid(),
    kind: z
      .enum(['browser', 'api'])
      .openapi({ description: '`browser`: a signed-in web session; `api`: an access token from POST /auth/tokens.' }),
    current: z.boolean().openapi({ description: 'The access token this request is made with.' }),
    ip: z.string().nullable().openapi({ description: 'Where it signed in from.' }),
    user_agent: z.string().nullable(),
    created_at: Timestamp,
    last_seen_at: Timestamp.nullable().openapi({ description: 'Last used (to the minute); null if never.' }),
    expires_at: Timestamp,
  })
  .openapi('SignedInSession');

const SessionList = z.object({ data: z.array(SignedInSession) }).openapi('SignedInSessionList');

export function sessionRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const iso = (d: Date | null) => (d ? d.toISOString() : null);

  const list = createRoute({
    method: 'get',
    path: '/me/sessions',
    tags: ['me'],
    operationId: 'listSessions',
    summary:
      'Where the caller is signed in: browser sessions and access tokens, most recently used first (access tokens only)',
    ...own,
    responses: {
      200: { description: 'The live sessions and access tokens.', ...json(SessionList) },
      ...errorResponses([401, 403, 429], { 403: keyRefused }),
    },
  });
  app.openapi(list, async (c) => {
    const who = actor(c);
    const now = deps.clock.now();
    const [browsers, tokens] = await Promise.all([
      listSessions(deps.db, who.user.id, now),
      listAccessTokens(deps.db, who.user.id, now),
    ]);
    const rows = [
      ...browsers.map((s) => ({ ...s, kind: 'browser' as const, current: false, seen: s.last_seen_at })),
      ...tokens.map((t) => ({ ...t, kind: 'api' as const, current: t.id === who.tokenId, seen: t.last_used_at })),
    ].sort((a, b) => (b.seen ?? b.created_at).getTime() - (a.seen ?? a.created_at).getTime());
    const data = rows.map((r) =>
      SignedInSession.parse({
        id: r.id,
        kind: r.kind,
        current: r.current,
        ip: r.ip,
        user_agent: r.user_agent,
        created_at: r.created_at.toISOString(),
        last_seen_at: iso(r.seen),
        expires_at: r.expires_at.toISOString(),
      }),
    );
    return c.json({ data }, 200);
  });

  const revoke = createRoute({
    method: 'delete',
    path: '/me/sessions/{id}',
    tags: ['me'],
    operationId: 'revokeSession',
    summary: 'Sign out one browser session or access token of the caller’s (access tokens only)',
    description: 'Revoking the `current` one is signing out: the token stops working. Someone else’s id is 404.',
    ...own,
    request: { params: z.object({ id: pathParam('id', 'A session or access token id from GET /me/sessions.') }) },
    responses: {
      204: { description: 'Signed out.' },
      ...errorResponses([401, 403, 404, 429], { 403: keyRefused }),
    },
  });
  app.openapi(revoke, async (c) => {
    const { id } = c.req.valid('param');
    const by = caller(c);
    const now = deps.clock.now();
    const ended =
      isUuid(id) &&
      ((await revokeOwnSession(deps.db, by, id, now)) || (await revokeOwnAccessToken(deps.db, by, id, now)));
    if (!ended) throw new NotFoundError('No such session.');
    return c.body(null, 204);
  });

  return app;
}
