import { can, type Actor } from '../../../../domain/access/actor.ts';
import { planPriceAt, serverSettings } from '../../../../domain/catalogue/offer.ts';
import { listFirewalls } from '../../../../domain/firewalls/firewalls.ts';
import { listNotes } from '../../../../domain/notes/notes.ts';
import type { ServerView } from '../../../../domain/servers/view.ts';
import type { AppDeps } from '../../../context.ts';

/**
 * What the server page shows beside the server itself: the backups add-on's price, the
 * firewalls guarding it, and the notes about it (views/portal/notes/_notes.eta, when the viewer has notes_view).
 */
export async function serverExtras(deps: AppDeps, actor: Actor, server: ServerView) {
  const [price, settings, firewalls, notes] = await Promise.all([
    planPriceAt(deps.db, server.plan.id, deps.clock.now()),
    serverSettings(deps.db),
    listFirewalls(deps.db, actor, { serverId: server.id }),
    can(actor, 'notes_view') ? listNotes(deps.db, actor, { serverId: server.id }) : Promise.resolve(null),
  ]);
  return {
    backupsPrice: price?.backupsMonthly ?? 0n,
    rdnsBaseDomain: settings.rdnsBaseDomain,
    firewalls,
    notes: notes && { serverId: server.id, items: notes, errors: {}, values: { body: '' }, editing: null },
  };
}
