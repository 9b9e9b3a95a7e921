import type { Context } from 'hono';
import type { Actor } from '../../../../domain/access/actor.ts';
import { userOrganizations } from '../../../../domain/accounts/me.ts';
import type { Db } from '../../../../db/index.ts';
import { AppError } from '../../../../lib/errors.ts';
import { isUuid } from '../../../../lib/ids.ts';
import { refererPath } from '../../../local-path.ts';

/** The actor of a page behind requireUser (always set there). */
export function actorOf(c: Context): Actor {
  return c.var.actor!;
}

/** Whether this is an htmx request aimed at region `id` (it gets that partial alone). */
export const targets = (c: Context, id: string) => c.req.header('hx-target') === id;

/**
 * Runs `action`; a refusal the user should read (a domain AppError other than 404 and the
 * plain 403 for a missing permission) goes to `fail`, which re-renders with status 422.
 */
export async function orFail(action: () => Promise<Response>, fail: (err: AppError) => Response | Promise<Response>): Promise<Response> {
  try {
    return await action();
  } catch (err) {
    if (!(err instanceof AppError) || err.status === 404 || (err.status === 403 && err.code === 'forbidden')) throw err;
    return fail(err);
  }
}

/** The organizations for the switcher: id and name, and which one is active. */
export async function switcherData(db: Db, actor: Actor) {
  const orgs = await userOrganizations(db, actor.userId);
  return { organizations: orgs.map((o) => ({ id: o.id, name: o.name, role: o.role, personal: o.personal })), activeId: actor.organizationId };
}

/** Where to go back to after switching: the referring page of this site, unless it names a record (which belongs to the old organization). */
export function backTo(c: Context, publicUrl: string): string {
  const path = refererPath(c, publicUrl, '/dashboard');
  return path.split('/').some(isUuid) ? '/dashboard' : path;
}
