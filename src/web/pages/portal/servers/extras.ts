import { can, type Actor } from '../../../../domain/access/actor.ts';
import { serverSettings } from '../../../../domain/catalogue/offer.ts';
import { listFirewalls } from '../../../../domain/firewalls/firewalls.ts';
import { listNotes } from '../../../../domain/notes/notes.ts';
import type { AppDeps } from '../../../context.ts';

/**
 * What the server page shows beside the server itself: the reverse DNS base domain, the
 * firewalls guarding it, and the notes about it (views/portal/notes/_notes.eta, when the viewer
 * has notes_view). Each finds server `serverId` through the actor's organization itself, so
 * these are read at the same time as the server (another organization's id: 404 either way).
 */
export async function serverExtras(deps: AppDeps, actor: Actor, serverId: string) {
  const [settings, firewalls, notes] = await Promise.all([
    serverSettings(deps.db),
    listFirewalls(deps.db, actor, { serverId }),
    can(actor, 'notes_view') ? listNotes(deps.db, actor, { serverId }) : Promise.resolve(null),
  ]);
  return {
    rdnsBaseDomain: settings.rdnsBaseDomain,
    firewalls,
    notes: notes && { serverId, items: notes, errors: {}, values: { body: '' }, editing: null },
  };
}
