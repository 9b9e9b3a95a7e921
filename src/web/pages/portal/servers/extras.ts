import { can, type Actor } from '../../../../domain/access/actor.ts';
import { authorize } from '../../../../domain/access/organization.ts';
import { firewallsGuarding } from '../../../../domain/firewalls/firewalls.ts';
import { notesAbout } from '../../../../domain/notes/notes.ts';
import type { ServerPage } from '../../../../domain/servers/page.ts';
import type { AppDeps } from '../../../context.ts';

/**
 * What the server page shows beside the server itself: the firewalls guarding it, and the notes
 * about it (views/portal/notes/_notes.eta, when the viewer has notes_view). Each is read only
 * when the server's row says there may be some (most servers have neither).
 */
export async function serverExtras(deps: AppDeps, actor: Actor, page: ServerPage) {
  const serverId = page.server.id;
  // The server was found through the actor's organization (serverPage, vps_view checked).
  const orgId = authorize(actor, 'vps_view');
  const [firewalls, notes] = await Promise.all([
    page.mayHave.firewalls ? firewallsGuarding(deps.db, orgId, serverId) : [],
    !can(actor, 'notes_view') ? null : page.mayHave.notes ? notesAbout(deps.db, orgId, serverId) : [],
  ]);
  return {
    firewalls,
    notes: notes && { serverId, items: notes, errors: {}, values: { body: '' }, editing: null },
  };
}
