import { Hono } from 'hono';
import type { Area } from '../../../areas.ts';
import type { AppDeps } from '../../../context.ts';
import type { Renderer } from '../../../render.ts';
import { invitationAnswerPages, invitationPages } from './invitations.ts';
import { memberPages } from './members.ts';
import { myOrganizationPages, organizationSettingsPages, organizationSwitchPages } from './organizations.ts';
import { rolePages } from './roles.ts';

/**
 * Organizations in the portal, all signed-in only: the user's organizations and the switcher;
 * the active organization's settings, members, invitations and roles (/organization/…); and
 * the invitee's invitation pages (a signed-out visitor of an invitation link signs in and
 * comes back).
 */
export function organizationAreas(deps: AppDeps, view: Renderer): Area[] {
  const active = new Hono();
  active.route('/', organizationSettingsPages(deps, view));
  active.route('/', memberPages(deps, view));
  active.route('/', invitationPages(deps, view));
  active.route('/', rolePages(deps, view));
  return [
    { prefix: '/organizations', access: 'signed-in', pages: myOrganizationPages(deps, view) },
    { prefix: '/active-organization', access: 'signed-in', pages: organizationSwitchPages(deps, view) },
    { prefix: '/organization', access: 'signed-in', pages: active },
    { prefix: '/invitations', access: 'signed-in', pages: invitationAnswerPages(deps, view) },
  ];
}
