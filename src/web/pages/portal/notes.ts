import { Hono, type Context } from 'hono';
import { can, type Actor } from '../../../domain/access/actor.ts';
import { addNote, deleteNote, editNote, getNote, listNotes, type NoteFilter } from '../../../domain/notes/notes.ts';
import type { DbOrTx } from '../../../db/index.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

/** The region id of views/portal/notes/_notes.eta: htmx requests aimed at it get the partial alone. */
export const NOTES_REGION = 'notes';

const SCOPES = ['all', 'organization', 'personal', 'server', 'general'] as const;
type Scope = (typeof SCOPES)[number];

export interface NotesPanel {
  items: Awaited<ReturnType<typeof listNotes>>;
  /** The server the notes are about; null: the /notes overview (personal and organization notes). */
  serverId: string | null;
  values: { body: string; title?: string; scope?: string; pinned?: boolean };
  errors: Record<string, string>;
  /** The note whose edit form is open again with an error, and what was typed. */
  editing: { id: string; body: string; title?: string; error: string } | null;
  /** The overview's search and scope filter. */
  filter?: { q: string; scope: Scope };
  /** The overview shows the first OVERVIEW_LIMIT notes; true when there are more (search narrows). */
  more?: boolean;
}

/** Notes the overview shows at most (pinned first, then newest); the rest are found by search. */
export const OVERVIEW_LIMIT = 100;

/**
 * What `views/portal/notes/_notes.eta` needs. For a server (`serverId`), null when the actor may
 * not read notes (no `notes_view`: leave the section out). For the overview, the actor's
 * personal notes and, with `notes_view`, the organization's (servers' included, with links).
 */
export async function notesPanel(
  db: DbOrTx,
  actor: Actor,
  serverId: string | null,
  extra: Partial<Pick<NotesPanel, 'values' | 'errors' | 'editing' | 'filter'>> = {},
): Promise<NotesPanel | null> {
  if (serverId && !can(actor, 'notes_view')) return null;
  const filter = extra.filter ?? { q: '', scope: 'all' as Scope };
  const opts: NoteFilter = serverId ? { serverId } : { q: filter.q, scope: filter.scope };
  const rows = await listNotes(db, actor, opts, serverId ? undefined : { limit: OVERVIEW_LIMIT });
  return {
    items: rows.slice(0, serverId ? undefined : OVERVIEW_LIMIT),
    more: !serverId && rows.length > OVERVIEW_LIMIT,
    serverId,
    values: extra.values ?? { body: '' },
    errors: extra.errors ?? {},
    editing: extra.editing ?? null,
    filter: serverId ? undefined : filter,
  };
}

const bool = (v: string | undefined) => v === 'on' || v === '1' || v === 'true';

/**
 * /notes: the actor's personal notes and the organization's notes (general ones and each
 * server's, linked to the server), pinned first, with search (`q`) and a scope filter; the same
 * partial sits on each server's page (`?server_id=` here shows one server's). Writes answer the
 * partial to htmx requests aimed at #notes (422 with the form and the typed text when refused)
 * and redirect otherwise: to the server's page for its notes, else here. The scope of a note
 * comes from `scope` (personal or organization) and `server_id` (checked to be one of the
 * organization's servers) only; any organization or owner id in the form is ignored.
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
    const scopeParam = c.req.query('scope') as Scope | undefined;
    const scope: Scope = scopeParam && SCOPES.includes(scopeParam) ? scopeParam : 'all';
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const actor = actorOf(c);
    if (serverId && !can(actor, 'notes_view')) await listNotes(deps.db, actor, { serverId }); // refuses (403)
    const notes = await notesPanel(deps.db, actor, serverId, { filter: { q, scope } });
    if (targeted(c)) return view.partial(c, 'portal/notes/_notes', { notes });
    return view.page(c, 'portal/notes/index', { notes }, { layout: 'portal', title: 'Notes' });
  });

  app.post('/', async (c) => {
    const form = await formData(c);
    const serverId = form.server_id || null;
    const values = { body: form.body ?? '', title: form.title ?? '', scope: form.scope, pinned: bool(form.pinned) };
    return orFail(
      async () => {
        await addNote(deps, actorOf(c), {
          body: form.body,
          title: form.title,
          pinned: bool(form.pinned),
          scope: form.scope || null,
          serverId,
        });
        return done(c, serverId, 'The note is added.');
      },
      (err) => answer(c, serverId, { values, errors: err.fields ?? {} }, 422),
    );
  });

  app.patch('/:id', async (c) => {
    const id = c.req.param('id');
    const form = await formData(c);
    return orFail(
      async () => {
        const note = await editNote(deps, actorOf(c), {
          noteId: id,
          body: form.body,
          title: form.title,
          pinned: form.pinned_field === '1' ? bool(form.pinned) : undefined,
        });
        return done(c, note.serverId, 'The note is saved.');
      },
      async (err) => {
        const { serverId } = await getNote(deps.db, actorOf(c), id);
        const error = err.fields?.body ?? err.fields?.title ?? err.message;
        return answer(c, serverId, { editing: { id, body: form.body ?? '', title: form.title ?? '', error } }, 422);
      },
    );
  });

  app.delete('/:id', async (c) => {
    const { serverId } = await deleteNote(deps, actorOf(c), c.req.param('id'));
    return done(c, serverId, 'The note is deleted.');
  });

  return app;
}
