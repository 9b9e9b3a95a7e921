import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNotes } from '../../src/domain/notes/notes.ts';
import { toPermissions } from '../../src/domain/access/actor.ts';
import { NotFoundError } from '../../src/lib/errors.ts';
import { notesPanel } from '../../src/web/pages/portal/notes.ts';
import { activityOf } from '../api-keys/helpers.ts';
import { acmeCast } from './cast.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue, type SeededCatalogue } from '../helpers/servers.ts';

/**
 * Acme keeps notes: Mia (member) writes them, Vera (viewer) reads them, Quinn (a custom role
 * with no notes permission) sees none. Gus owns Globex and must find none of Acme's.
 */
let ctx: TestContext;
let catalogue: SeededCatalogue;
let cast: Awaited<ReturnType<typeof makeCast>>;

const makeCast = () => acmeCast(ctx, catalogue);

beforeAll(async () => {
  ctx = await createTestContext();
  catalogue = await seedServerCatalogue(ctx.db);
  cast = await makeCast();
});
afterAll(async () => ctx.close());

const hx = { 'hx-request': 'true', 'hx-target': 'notes' };
const notesOf = (serverId: string | null) =>
  ctx.db
    .selectFrom('notes')
    .selectAll()
    .$if(serverId === null, (q) => q.where('server_id', 'is', null))
    .$if(serverId !== null, (q) => q.where('server_id', '=', serverId!))
    .orderBy('created_at')
    .execute();
const noteWith = async (serverId: string, text: string) =>
  (await notesOf(serverId)).find((n) => n.body.includes(text))!;
async function browserOf(email: string, path = '/notes'): Promise<TestBrowser> {
  const b = await signedIn(ctx, email);
  await b.get(path);
  return b;
}

describe('notes about a server', () => {
  it('Mia adds a note about acme-web with htmx: the partial comes back with it, escaped, and the log says so without the text', async () => {
    const mia = await browserOf(cast.mia.email);
    const res = await mia.post(
      '/notes',
      { server_id: cast.web.id, body: 'Nginx config in /etc/nginx.\n<script>alert(1)</script>' },
      { headers: hx },
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<section id="notes"');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<html');
    const [note] = await notesOf(cast.web.id);
    expect(note).toMatchObject({
      organization_id: cast.acme,
      created_by: cast.mia.id,
      body: 'Nginx config in /etc/nginx.\n<script>alert(1)</script>',
    });
    const [logged] = await activityOf(ctx, 'note.added', cast.mia.id);
    expect(logged).toMatchObject({ organization_id: cast.acme, target_type: 'note', target_id: note!.id });
    expect(logged!.details).toEqual({ server_id: cast.web.id, characters: note!.body.length });
  });

  it('a plain form post redirects to the server’s page; a general note to /notes', async () => {
    const mia = await browserOf(cast.mia.email);
    const res = await mia.post('/notes', { server_id: cast.web.id, body: 'Backups tested in March.' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/vps/${cast.web.id}`);
    const general = await mia.post('/notes', { body: 'Our on-call rota is in the wiki.' });
    expect(general.status).toBe(303);
    expect(general.headers.get('location')).toBe('/notes');
    expect((await notesOf(null)).map((n) => n.body)).toContain('Our on-call rota is in the wiki.');
    const page = await (await mia.get('/notes')).text();
    expect(page).toContain('Our on-call rota is in the wiki.');
    // The organization's notes include each server's, linked to the server.
    expect(page).toContain('Backups tested in March.');
    expect(page).toContain(`<a class="link text-sm" href="/vps/${cast.web.id}">Server: acme-web</a>`);
    const serverPage = await (await mia.get(`/notes?server_id=${cast.web.id}`)).text();
    expect(serverPage).toContain('Backups tested in March.');
  });

  it('refuses an empty note and one over 10,000 characters with the form again (422) keeping the text', async () => {
    const mia = await browserOf(cast.mia.email);
    const before = (await notesOf(cast.web.id)).length;
    const empty = await mia.post('/notes', { server_id: cast.web.id, body: '  \n ' }, { headers: hx });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain('Write the note.');
    const long = 'x'.repeat(10_001);
    const tooLong = await mia.post('/notes', { server_id: cast.web.id, body: long }, { headers: hx });
    expect(tooLong.status).toBe(422);
    const html = await tooLong.text();
    expect(html).toContain('Keep a note to 10,000 characters.');
    expect(html).toContain(long);
    const noJs = await mia.post('/notes', { server_id: cast.web.id, body: '' });
    expect(noJs.status).toBe(422);
    expect(await noJs.text()).toContain('<title>Notes · SkyPanel</title>');
    expect(await notesOf(cast.web.id)).toHaveLength(before);
  });

  it('Mia edits a note with htmx; a bad edit reopens that note’s form with the message (422)', async () => {
    const note = await noteWith(cast.web.id, 'Nginx');
    const mia = await browserOf(cast.mia.email);
    const res = await mia.post(
      `/notes/${note!.id}`,
      { body: 'Nginx config moved to /srv/nginx.' },
      { method: 'PATCH', headers: hx },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Nginx config moved to /srv/nginx.');
    const row = (await notesOf(cast.web.id)).find((n) => n.id === note!.id)!;
    expect(row).toMatchObject({ body: 'Nginx config moved to /srv/nginx.', updated_by: cast.mia.id });
    expect((await activityOf(ctx, 'note.edited', cast.mia.id)).at(-1)).toMatchObject({ target_id: note!.id });
    const bad = await mia.post(`/notes/${note!.id}`, { body: '' }, { method: 'PATCH', headers: hx });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('Write the note.');
    expect(html).toMatch(/<details class="mt-2" open>/);
    expect((await notesOf(cast.web.id)).find((n) => n.id === note!.id)!.body).toBe('Nginx config moved to /srv/nginx.');
  });

  it('Mia deletes a note with htmx; the partial comes back without it', async () => {
    const mia0 = await browserOf(cast.mia.email);
    await mia0.post('/notes', { server_id: cast.web.id, body: 'To be deleted.' });
    const note = await noteWith(cast.web.id, 'To be deleted.');
    const mia = await browserOf(cast.mia.email);
    const res = await mia.post(`/notes/${note!.id}`, {}, { method: 'DELETE', headers: hx });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain(note!.id);
    expect((await notesOf(cast.web.id)).map((n) => n.id)).not.toContain(note!.id);
    expect((await activityOf(ctx, 'note.deleted', cast.mia.id)).at(-1)).toMatchObject({ target_id: note!.id });
  });

  it('Vera reads the notes without the forms, and her writes are refused (403)', async () => {
    const note = await noteWith(cast.web.id, 'Backups tested');
    const vera = await browserOf(cast.vera.email);
    const html = await (await vera.get(`/notes?server_id=${cast.web.id}`)).text();
    expect(html).toContain('Backups tested in March.');
    expect(html).not.toContain('Add note');
    expect(html).not.toContain('hx-patch');
    expect((await vera.post('/notes', { server_id: cast.web.id, body: 'mine' }, { headers: hx })).status).toBe(403);
    expect((await vera.post(`/notes/${note!.id}`, { body: 'changed' }, { method: 'PATCH' })).status).toBe(403);
    expect((await vera.post(`/notes/${note!.id}`, {}, { method: 'DELETE' })).status).toBe(403);
    expect((await notesOf(cast.web.id)).find((n) => n.id === note!.id)!.body).toBe(note!.body);
  });

  it('Quinn, without notes_view, gets no notes section on the server page, and /notes shows none of the organization’s', async () => {
    const quinn = await signedIn(ctx, cast.quinn.email);
    const page = await quinn.get('/notes');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain('Backups tested in March.');
    expect(html).not.toContain('Our on-call rota');
    expect((await quinn.get(`/notes?server_id=${cast.web.id}`)).status).toBe(403);
    // The sidebar offers /notes to every member: their personal notes are there.
    expect(await (await quinn.get('/dashboard')).text()).toContain('href="/notes"');
    const actor = {
      userId: cast.quinn.id,
      isPlatformAdmin: false,
      organizationId: cast.acme,
      roleName: 'Servers only',
      permissions: toPermissions(['vps_view']),
      impersonatorUserId: null,
      apiKeyId: null,
      origin: { ip: '192.0.2.1', userAgent: null },
    };
    expect(await notesPanel(ctx.db, actor, cast.web.id)).toBeNull();
  });

  it('keeps the notes of a deleted server readable but takes no new ones (404)', async () => {
    await ctx.db
      .insertInto('notes')
      .values({ organization_id: cast.acme, server_id: cast.gone.id, body: 'Decommissioned in May.' })
      .execute();
    const mia = await browserOf(cast.mia.email);
    expect(await (await mia.get(`/notes?server_id=${cast.gone.id}`)).text()).toContain('Decommissioned in May.');
    expect((await mia.post('/notes', { server_id: cast.gone.id, body: 'more' }, { headers: hx })).status).toBe(404);
  });
});

describe('another organization’s notes and servers', () => {
  it('Gus cannot write about, read or change anything of Acme’s: 404 every time, and nothing changes', async () => {
    const note = await noteWith(cast.web.id, 'Backups tested');
    const gus = await browserOf(cast.gus.email);
    const attempts = [
      await gus.post('/notes', { server_id: cast.web.id, body: 'globex was here' }, { headers: hx }),
      await gus.post('/notes', { server_id: cast.web.id, body: 'globex was here' }),
      await gus.get(`/notes?server_id=${cast.web.id}`),
      await gus.post(`/notes/${note!.id}`, { body: 'globex was here' }, { method: 'PATCH', headers: hx }),
      await gus.post(`/notes/${note!.id}`, {}, { method: 'DELETE', headers: hx }),
      await gus.post('/notes/not-a-uuid', {}, { method: 'DELETE' }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('Backups tested in March.');
    }
    expect((await notesOf(cast.web.id)).find((n) => n.id === note!.id)!.body).toBe(note!.body);
    expect((await ctx.db.selectFrom('notes').select('body').execute()).map((n) => n.body)).not.toContain(
      'globex was here',
    );
  });

  it('his own notes page shows none of Acme’s', async () => {
    const gus = await browserOf(cast.gus.email);
    await gus.post('/notes', { server_id: cast.globexDb.id, body: 'Globex replica.' });
    const html = await (await gus.get('/notes')).text();
    expect(html).not.toContain('Our on-call rota');
    const err = await listNotes(ctx.db, { ...ownerOf(cast.gus.id, cast.globex) }, { serverId: cast.web.id }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotFoundError);
  });
});

const ownerOf = (userId: string, organizationId: string) => ({
  userId,
  isPlatformAdmin: false,
  organizationId,
  roleName: 'owner',
  permissions: toPermissions(['notes_view', 'notes_manage']),
  impersonatorUserId: null,
  apiKeyId: null,
  origin: { ip: '192.0.2.1', userAgent: null },
});
