import { can, type Actor } from '../../../../domain/access/actor.ts';
import { listFirewalls } from '../../../../domain/firewalls/firewalls.ts';
import { listNotes } from '../../../../domain/notes/notes.ts';
import type { ServerPage } from '../../../../domain/servers/page.ts';
import type { AppDeps } from '../../../context.ts';

/**
 * What the server page shows beside the server itself: the firewalls guarding it, and the notes
 * about it (views/portal/notes/_notes.eta, when the viewer has notes_view). Each is read only
 * when the server's row says there may be some (most servers have neither).
 */
export async function serverExtras(deps: AppDeps, actor: Actor, page: ServerPage) {
  const serverId = page.server.id;
  const [firewalls, notes] = await Promise.all([
    page.mayHave.firewalls ? listFirewalls(deps.db, actor, { serverId }) : [],
    !can(actor, 'notes_view') ? null : page.mayHave.notes ? listNotes(deps.db, actor, { serverId }) : [],
  ]);
  return {
    firewalls,
    notes: notes && { serverId, items: notes, errors: {}, values: { body: '' }, editing: null },
  };
}
