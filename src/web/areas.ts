import { Hono, type MiddlewareHandler } from 'hono';
import { refuseWhileImpersonating } from './middleware/impersonation.ts';
import { requireAdmin, requireImpersonation, requireUser } from './middleware/require-auth.ts';

/**
 * The signed-in parts of the HTML app are areas: every page under one prefix, behind one
 * guard that `mountArea` registers for the whole prefix before any page. A page added to an
 * area is guarded by being there; there is no list of paths to keep in step with the pages.
 * Public pages (pages/public/) are the only HTML pages outside an area.
 */

/** Who may enter an area, and the guards that say so (run in order, before any page). */
const GUARDS = {
  /** Signed-in users (an impersonating admin included); anyone else is sent to sign in (GET) or gets 401. */
  'signed-in': () => [requireUser()],
  /**
   * The account's own credentials and access (password, email, two-factor, sessions, API
   * keys): signed in, and unsafe requests are refused (403) while an admin impersonates.
   */
  'account-owner': () => [requireUser(), refuseWhileImpersonating()],
  /** Platform staff in their own session; everyone else, impersonating admins included, gets 404. */
  'platform-admin': () => [requireAdmin()],
  /** A browser that is impersonating; everyone else gets 404. */
  impersonating: () => [requireImpersonation()],
} satisfies Record<string, () => MiddlewareHandler[]>;

export type Access = keyof typeof GUARDS;

export interface Area {
  /** Where the area's pages live: `/billing` serves `/billing` and everything under `/billing/`. */
  prefix: `/${string}`;
  access: Access;
  /** The area's pages, their paths relative to `prefix`. */
  pages: Hono;
}

/**
 * Mounts an area's pages at its prefix behind its guard: the one way the HTML app mounts a
 * page that is not public.
 *
 * @example mountArea(html, { prefix: '/billing', access: 'signed-in', pages: billingPages(deps, view) })
 */
export function mountArea(parent: Hono, area: Area): void {
  const guarded = new Hono();
  guarded.use('*', ...GUARDS[area.access]());
  guarded.route('/', area.pages);
  parent.route(area.prefix, guarded);
}
