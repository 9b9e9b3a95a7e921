import type { Context } from 'hono';
import type { Actor } from '../domain/access/actor.ts';
import { userOrganizations } from '../domain/accounts/me.ts';
import type { Db } from '../db/index.ts';
import { isUuid } from '../lib/ids.ts';
import { refererPath } from './local-path.ts';

/**
 * The organization switcher (`views/shared/_org_switcher.eta`): which organizations a page
 * offers, and where `POST /active-organization` goes back to.
 */

/** The organizations for the switcher: id and name, and which one is active. */
export async function switcherData(db: Db, actor: Actor) {
  const orgs = await userOrganizations(db, actor.userId);
  return {
    organizations: orgs.map((o) => ({ id: o.id, name: o.name, role: o.role, personal: o.personal })),
    activeId: actor.organizationId,
  };
}

/** Where to go back to after switching: the referring page of this site, unless it names a record (which belongs to the old organization). */
export function backTo(c: Context, publicUrl: string): string {
  const path = refererPath(c, publicUrl, '/dashboard');
  return path.split('/').some(isUuid) ? '/dashboard' : path;
}
