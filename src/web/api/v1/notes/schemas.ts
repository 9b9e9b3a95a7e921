import { z } from '@hono/zod-openapi';
import { MAX_NOTE_LENGTH, MAX_TITLE_LENGTH, type Note as NoteRow } from '../../../../domain/notes/notes.ts';
import { pathParam, Timestamp } from '../schemas.ts';

export const Note = z
  .object({
    id: z.uuid(),
    scope: z.enum(['organization', 'personal']).openapi({
      description:
        '`personal`: the caller’s own note, which no one else reads; `organization`: shared with members who have `notes_view`.',
    }),
    server_id: z.uuid().nullable().openapi({ description: 'The server the note is about (organization notes only).' }),
    server_label: z.string().nullable(),
    title: z.string(),
    body: z.string().openapi({ description: 'Markdown (a safe subset), as written.' }),
    body_html: z.string().openapi({
      description:
        'The body rendered on the server to sanitised HTML: paragraphs, headings, emphasis, code, lists and http/https/mailto links only; everything else escaped.',
    }),
    pinned: z.boolean(),
    created_by: z.string().nullable().openapi({ description: 'The author’s name.' }),
    updated_by: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Note');

export const NoteQuery = z.object({
  q: z.string().max(200).optional().openapi({ description: 'Words searched in title and body (case-insensitive).' }),
  scope: z.enum(['all', 'organization', 'personal', 'server', 'general']).default('all').openapi({
    description:
      '`all` (default): the caller’s personal notes and, with `notes_view`, the organization’s; `personal`; `organization` (general and servers’); `general` (about no server); `server` (about a server).',
  }),
  server_id: z.string().max(64).optional().openapi({ description: 'Only this server’s notes (needs `notes_view`).' }),
});

export const CreateNoteRequest = z
  .object({
    title: z
      .string()
      .max(MAX_TITLE_LENGTH * 2)
      .optional()
      .openapi({ example: 'Runbook' }),
    body: z
      .string()
      .max(MAX_NOTE_LENGTH * 2)
      .optional()
      .openapi({ example: 'Restart **nginx** with `systemctl restart nginx`.', description: '1–10,000 characters.' }),
    pinned: z.boolean().optional(),
    scope: z.enum(['organization', 'personal']).default('organization').openapi({
      description:
        '`organization` (default; needs `notes_manage`) or `personal` (any member; not with an API key). The note is always in the acting organization and, when personal, the caller’s.',
    }),
    server_id: z.string().max(64).nullish().openapi({
      description: 'One of the organization’s live servers: the note is about it (always an organization note).',
    }),
  })
  .openapi('CreateNoteRequest');

export const UpdateNoteRequest = z
  .object({
    title: z
      .string()
      .max(MAX_TITLE_LENGTH * 2)
      .optional(),
    body: z
      .string()
      .max(MAX_NOTE_LENGTH * 2)
      .optional(),
    pinned: z.boolean().optional(),
  })
  .openapi('UpdateNoteRequest', {
    description: 'Only these fields change; a note’s scope, owner and server never do.',
  });

export const NoteParams = z.object({ id: pathParam('id', 'Note id.') });

export function presentNote(n: NoteRow): z.infer<typeof Note> {
  return Note.parse({
    id: n.id,
    scope: n.scope,
    server_id: n.serverId,
    server_label: n.serverLabel,
    title: n.title,
    body: n.body,
    body_html: n.html,
    pinned: n.pinned,
    created_by: n.createdBy,
    updated_by: n.updatedBy,
    created_at: n.createdAt.toISOString(),
    updated_at: n.updatedAt.toISOString(),
  });
}
