import { Hono, type Context } from 'hono';
import { can, type Actor } from '../../../domain/access/actor.ts';
import { addNote, deleteNote, editNote, getNote, listNotes } from '../../../domain/notes/notes.ts';
import type { DbOrTx } from '../../../db/index.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

/** The region id of views/portal/notes/_notes.eta: htmx requests aimed at it get the partial alone. */
export const NOTES_REGION = 'notes';

export interface NotesPanel {
  items: Awaited<ReturnType<typeof listNotes>>;
  /** The server the notes are about; null: the organization's general notes. */
  serverId: string | null;
  values: { body: string };
  errors: Record<string, string>;
  /** The note whose edit form is open again with an error, and what was typed. */
  editing: { id: string; body: string; error: string } | null;
}

/**
 * What `views/portal/notes/_notes.eta` needs, or null when the actor may not read notes (no
 * `notes_view`: leave the section out). The server page includes it as
 * `<% if (it.notes) { %><%~ include('/portal/notes/_notes', it) %><% } %>` with
 * `notes: await notesPanel(deps.db, actor, server.id)` in its data.
 */
export async function notesPanel(
  db: DbOrTx,
  actor: Actor,
  serverId: string | null,
  extra: Partial<Pick<NotesPanel, 'values' | 'errors' | 'editing'>> = {},
): Promise<NotesPanel | null> {
  if (!can(actor, 'notes_view')) return null;
  return {
    items: await listNotes(db, actor, { serverId }),
    serverId,
    values: extra.values ?? { body: '' },
    errors: extra.errors ?? {},
    editing: extra.editing ?? null,
  };
}

/**
 * /notes: the organization's notes. The page lists the general ones; the same partial sits on
 * each server's page (`?server_id=` here shows one server's). Writes answer the partial to htmx
 * requests aimed at #notes (422 with the message when the text is refused) and redirect
 * otherwise: to the server's page for its notes, else here.
 */
export function notePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const back = (serverId: string | null) => (serverId ? `/vps/${serverId}` : '/notes');
  const targeted = (c: Context) => c.req.header('hx-target') === NOTES_REGION;
  const answer = async (
    c: Context,
    serverId: string | null,
    extra: Parameters<typeof notesPanel>[3] = {},
    status?: 422,
  ) => {
    const notes = await notesPanel(deps.db, actorOf(c), serverId, extra);
    if (targeted(c)) return view.partial(c, 'portal/notes/_notes', { notes }, status);
    return view.page(c, 'portal/notes/index', { notes }, { layout: 'portal', title: 'Notes', status });
  };
  const done = (c: Context, serverId: string | null, message: string) => {
    if (targeted(c)) return answer(c, serverId);
    flash(c, message);
    return redirect(c, back(serverId));
  };

  app.get('/', async (c) => {
    const serverId = c.req.query('server_id') || null;
    const notes = await notesPanel(deps.db, actorOf(c), serverId);
    if (!notes) await listNotes(deps.db, actorOf(c)); // refuses (403) as the domain says
    return view.page(c, 'portal/notes/index', { notes }, { layout: 'portal', title: 'Notes' });
  });

  app.post('/', async (c) => {
    const form = await formData(c);
    const serverId = form.server_id || null;
    return orFail(
      async () => {
        await addNote(deps, actorOf(c), { body: form.body, serverId });
        return done(c, serverId, 'The note is added.');
      },
      (err) => answer(c, serverId, { values: { body: form.body ?? '' }, errors: err.fields ?? {} }, 422),
    );
  });

  app.patch('/:id', async (c) => {
    const id = c.req.param('id');
    const form = await formData(c);
    return orFail(
      async () => {
        const note = await editNote(deps, actorOf(c), { noteId: id, body: form.body });
        return done(c, note.serverId, 'The note is saved.');
      },
      async (err) => {
        const { serverId } = await getNote(deps.db, actorOf(c), id);
        const error = err.fields?.body ?? err.message;
        return answer(c, serverId, { editing: { id, body: form.body ?? '', error } }, 422);
      },
    );
  });

  app.delete('/:id', async (c) => {
    const { serverId } = await deleteNote(deps, actorOf(c), c.req.param('id'));
    return done(c, serverId, 'The note is deleted.');
  });

  return app;
}
