import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { getUser, userOrganizations } from '../../../../domain/accounts/me.ts';
import type { AppDeps } from '../../../context.ts';
import { actor, secured } from '../bearer-auth.ts';
import { presentOrganization } from '../organizations/schemas.ts';
import { errorResponses, json } from '../schemas.ts';
import { accountRoutes } from './account.ts';
import { Me, presentUser } from './schemas.ts';
import { sessionRoutes } from './sessions.ts';
import { twoFactorRoutes } from './two-factor.ts';

/**
 * The caller: who they are and which organizations they can act in; their account settings
 * (account.ts), two-factor authentication (two-factor.ts) and sign-ins (sessions.ts).
 */
export function meRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const meRoute = createRoute({
    method: 'get',
    path: '/me',
    tags: ['me'],
    operationId: 'getMe',
    summary: 'The authenticated user and their organizations',
    ...secured,
    responses: { 200: { description: 'The caller.', ...json(Me) }, ...errorResponses([401, 429]) },
  });
  app.openapi(meRoute, async (c) => {
    const caller = actor(c);
    const userId = caller.user.id;
    const [user, rows] = await Promise.all([getUser(deps.db, userId), userOrganizations(deps.db, userId)]);
    // An API key sees only the organization it acts in, with the key's own permissions.
    const acting = c.get('actor');
    const visible =
      caller.via === 'api_key' && acting
        ? rows
            .filter((o) => o.id === acting.organizationId)
            .map((o) => ({ ...o, permissions: [...acting.permissions] }))
        : rows;
    const organizations = visible.map(presentOrganization);
    const active = organizations.find((o) => o.id === user.active_organization_id) ?? null;
    return c.json({ user: presentUser(user), organizations, active_organization: active }, 200);
  });

  app.route('/', accountRoutes(deps));
  app.route('/', twoFactorRoutes(deps));
  app.route('/', sessionRoutes(deps));
  return app;
}
