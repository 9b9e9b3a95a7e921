import { Hono } from 'hono';
import type { AppDeps } from '../../../context.ts';
import { requireUser } from '../../../middleware/require-auth.ts';
import type { Renderer } from '../../../render.ts';
import { invitationPages } from './invitations.ts';
import { memberPages } from './members.ts';
import { organizationsPages } from './organizations.ts';
import { rolePages } from './roles.ts';

/**
 * Organizations in the portal: the user's organizations and the active one's settings,
 * members, invitations and roles; plus the invitee's invitation pages. All signed-in only
 * (a signed-out visitor of an invitation link signs in and comes back).
 */
export function organizationPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  for (const path of ['/organizations', '/active-organization', '/organization/*', '/invitations/*']) app.use(path, requireUser());
  app.route('/', organizationsPages(deps, view));
  app.route('/', memberPages(deps, view));
  app.route('/', invitationPages(deps, view));
  app.route('/', rolePages(deps, view));
  return app;
}
