import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { addNote, deleteNote, editNote, getNote, listNotes } from '../../../../domain/notes/notes.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { listOf, listPage, PageQuery } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { CreateNoteRequest, Note, NoteParams, NoteQuery, presentNote, UpdateNoteRequest } from './schemas.ts';

const REFUSED = {
  403: 'The caller lacks the permission in the acting organization (`notes_view` to read the organization’s notes, `notes_manage` to change them); an API key and personal notes.',
  404: 'No such note visible to the caller in the acting organization (another member’s personal note is not found either).',
};

/**
 * Notes (the portal's /notes asks the same domain): the caller's personal notes and the acting
 * organization's, servers' included; pinned first, then newest.
 */
export function noteRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const listRoute = createRoute({
    method: 'get',
    path: '/notes',
    tags: ['notes'],
    operationId: 'listNotes',
    summary: 'The caller’s personal notes and (with `notes_view`) the organization’s, pinned first',
    ...secured,
    request: { query: PageQuery.extend(NoteQuery.shape) },
    responses: {
      200: { description: 'One page of notes.', ...json(listOf(Note).openapi('NoteList')) },
      ...errorResponses([401, 403, 404, 422, 429], REFUSED),
    },
  });
  app.openapi(listRoute, async (c) => {
    const { limit, cursor, q, scope, server_id } = c.req.valid('query');
    const rows = await listNotes(deps.db, caller(c), { q, scope, serverId: server_id }, { limit, cursor });
    return c.json(
      listPage(rows, limit, presentNote, (n) => n.id),
      200,
    );
  });

  const getRoute = createRoute({
    method: 'get',
    path: '/notes/{id}',
    tags: ['notes'],
    operationId: 'getNote',
    summary: 'One note the caller may read',
    ...secured,
    request: { params: NoteParams },
    responses: {
      200: { description: 'The note.', ...json(Note) },
      ...errorResponses([401, 403, 404, 429], REFUSED),
    },
  });
  app.openapi(getRoute, async (c) =>
    c.json(presentNote(await getNote(deps.db, caller(c), c.req.valid('param').id)), 200),
  );

  const addRoute = createRoute({
    method: 'post',
    path: '/notes',
    tags: ['notes'],
    operationId: 'addNote',
    summary: 'Add a note: the organization’s (needs `notes_manage`), about a server or not, or a personal one',
    ...secured,
    request: { body: { required: true, ...json(CreateNoteRequest) } },
    responses: {
      201: { description: 'The note.', ...json(Note) },
      ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429], {
        ...REFUSED,
        404: 'No such live server in the acting organization (`server_id`).',
        422: '`validation_failed`: `body` is empty or over 10,000 characters, or `title` over 200.',
      }),
    },
  });
  app.openapi(addRoute, async (c) => {
    const body = c.req.valid('json');
    const note = await addNote(deps, caller(c), {
      body: body.body,
      title: body.title,
      pinned: body.pinned,
      scope: body.scope,
      serverId: body.server_id,
    });
    return c.json(presentNote(note), 201);
  });

  const updateRoute = createRoute({
    method: 'patch',
    path: '/notes/{id}',
    tags: ['notes'],
    operationId: 'updateNote',
    summary: 'Change a note’s title, body or pin (its author for a personal note; `notes_manage` otherwise)',
    ...secured,
    request: { params: NoteParams, body: { required: true, ...json(UpdateNoteRequest) } },
    responses: {
      200: { description: 'The note.', ...json(Note) },
      ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429], REFUSED),
    },
  });
  app.openapi(updateRoute, async (c) => {
    const body = c.req.valid('json');
    const note = await editNote(deps, caller(c), {
      noteId: c.req.valid('param').id,
      body: body.body,
      title: body.title,
      pinned: body.pinned,
    });
    return c.json(presentNote(note), 200);
  });

  const deleteRoute = createRoute({
    method: 'delete',
    path: '/notes/{id}',
    tags: ['notes'],
    operationId: 'deleteNote',
    summary: 'Delete a note (its author for a personal note; `notes_manage` otherwise)',
    ...secured,
    request: { params: NoteParams },
    responses: {
      204: { description: 'Deleted.' },
      ...errorResponses([401, 403, 404, 429], REFUSED),
    },
  });
  app.openapi(deleteRoute, async (c) => {
    await deleteNote(deps, caller(c), c.req.valid('param').id);
    return c.body(null, 204);
  });

  return app;
}
