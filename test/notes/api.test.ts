import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ISO_UTC, tokenFor } from '../api/client.ts';
import { acmeCast } from './cast.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedServerCatalogue, type SeededCatalogue } from '../helpers/servers.ts';

/**
 * /api/v1/notes. Acme: Olive (owner), Mia (member), Vera (viewer), Quinn (no notes permission).
 * Gus owns Globex.
 */
let ctx: TestContext;
let catalogue: SeededCatalogue;
let cast: Awaited<ReturnType<typeof makeCast>>;
const IP = '198.51.100.77';
const api = () => apiClient(ctx, IP);

async function makeCast() {
  const cast = await acmeCast(ctx, catalogue);
  const people = ['olive', 'mia', 'vera', 'quinn', 'gus'] as const;
  const tokens = Object.fromEntries(
    await Promise.all(people.map(async (k) => [k, await tokenFor(ctx, cast[k].email, IP)] as const)),
  ) as Record<(typeof people)[number], string>;
  return { ...cast, tokens };
}

beforeAll(async () => {
  ctx = await createTestContext();
  catalogue = await seedServerCatalogue(ctx.db);
  cast = await makeCast();
});
afterAll(async () => ctx.close());

const row = (id: string) => ctx.db.selectFrom('notes').selectAll().where('id', '=', id).executeTakeFirst();

describe('the notes API', () => {
  it('Mia adds an organization note, a server note and a personal one; the answer renders the Markdown', async () => {
    const t = cast.tokens.mia;
    const org = await api()('POST', '/notes', {
      token: t,
      body: { title: 'Rota', body: 'On-call **rota**.', pinned: true },
    });
    expect(org.status).toBe(201);
    expect(org.body).toMatchObject({
      scope: 'organization',
      title: 'Rota',
      body: 'On-call **rota**.',
      body_html: '<p>On-call <strong>rota</strong>.</p>',
      pinned: true,
      server_id: null,
      created_by: 'Mia Member',
    });
    expect(org.body.created_at).toMatch(ISO_UTC);
    const server = await api()('POST', '/notes', { token: t, body: { body: 'Web box.', server_id: cast.web.id } });
    expect(server.status).toBe(201);
    expect(server.body).toMatchObject({ scope: 'organization', server_id: cast.web.id, server_label: 'acme-web' });
    const personal = await api()('POST', '/notes', {
      token: t,
      body: { title: 'Mine', body: 'secret plan', scope: 'personal' },
    });
    expect(personal.status).toBe(201);
    expect(personal.body.scope).toBe('personal');
    expect(await row(personal.body.id)).toMatchObject({ personal_owner_id: cast.mia.id, organization_id: cast.acme });
  });

  it('lists pinned first, pages with a cursor, searches with q and filters by scope', async () => {
    const t = cast.tokens.mia;
    const all = await api()('GET', '/notes', { token: t });
    expect(all.status).toBe(200);
    expect(all.body.data[0].title).toBe('Rota');
    expect(all.body.data.map((n: { title: string }) => n.title)).toEqual(expect.arrayContaining(['Rota', 'Mine', '']));
    const first = await api()('GET', '/notes?limit=1', { token: t });
    expect(first.body).toMatchObject({ has_more: true });
    const second = await api()('GET', `/notes?limit=1&cursor=${first.body.next_cursor}`, { token: t });
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
    expect(second.body.data[0].id).toBe(all.body.data[1].id);
    const q = await api()('GET', '/notes?q=SECRET', { token: t });
    expect(q.body.data.map((n: { title: string }) => n.title)).toEqual(['Mine']);
    const servers = await api()('GET', '/notes?scope=server', { token: t });
    expect(servers.body.data.map((n: { server_id: string }) => n.server_id)).toEqual([cast.web.id]);
    const personal = await api()('GET', '/notes?scope=personal', { token: t });
    expect(personal.body.data.map((n: { title: string }) => n.title)).toEqual(['Mine']);
    const bad = await api()('GET', '/notes?scope=everything', { token: t });
    expect(bad.status).toBe(422);
  });

  it('personal notes are their author’s alone; organization notes need notes_view', async () => {
    const mine = (await api()('GET', '/notes?scope=personal', { token: cast.tokens.mia })).body.data[0];
    for (const who of ['olive', 'vera', 'quinn', 'gus'] as const) {
      const list = await api()('GET', '/notes', { token: cast.tokens[who] });
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain('secret plan');
      const one = await api()('GET', `/notes/${mine.id}`, { token: cast.tokens[who] });
      expect([403, 404]).toContain(one.status);
      expect(JSON.stringify(one.body)).not.toContain('secret plan');
    }
    expect((await api()('GET', `/notes/${mine.id}`, { token: cast.tokens.olive })).status).toBe(404);
    const quinn = await api()('GET', '/notes', { token: cast.tokens.quinn });
    expect(quinn.body.data).toEqual([]);
    expect((await api()('GET', '/notes?scope=organization', { token: cast.tokens.quinn })).status).toBe(403);
    const vera = await api()('GET', '/notes', { token: cast.tokens.vera });
    expect(vera.body.data.map((n: { title: string }) => n.title)).toContain('Rota');
    expect((await api()('POST', '/notes', { token: cast.tokens.vera, body: { body: 'x' } })).status).toBe(403);
    const veraOwn = await api()('POST', '/notes', {
      token: cast.tokens.quinn,
      body: { body: 'q own', scope: 'personal' },
    });
    expect(veraOwn.status).toBe(201);
    expect(
      (await api()('PATCH', `/notes/${mine.id}`, { token: cast.tokens.olive, body: { body: 'owner' } })).status,
    ).toBe(404);
    expect((await api()('DELETE', `/notes/${mine.id}`, { token: cast.tokens.olive })).status).toBe(404);
    expect((await row(mine.id))!.body).toBe('secret plan');
  });

  it('ignores organization and owner ids in the body; a foreign server is 404; an edit never moves a note', async () => {
    const t = cast.tokens.mia;
    const res = await api()('POST', '/notes', {
      token: t,
      body: {
        title: 'Injected',
        body: 'x',
        scope: 'personal',
        organization_id: cast.globex,
        personal_owner_id: cast.vera.id,
        created_by: cast.gus.id,
      },
    });
    expect(res.status).toBe(201);
    expect(await row(res.body.id)).toMatchObject({
      organization_id: cast.acme,
      personal_owner_id: cast.mia.id,
      created_by: cast.mia.id,
    });
    const foreign = await api()('POST', '/notes', { token: t, body: { body: 'x', server_id: cast.globexDb.id } });
    expect(foreign.status).toBe(404);
    const org = (await api()('GET', '/notes?q=On-call', { token: t })).body.data[0];
    const moved = await api()('PATCH', `/notes/${org.id}`, {
      token: t,
      body: {
        body: 'moved?',
        organization_id: cast.globex,
        personal_owner_id: cast.mia.id,
        server_id: cast.web.id,
        scope: 'personal',
      },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ body: 'moved?', scope: 'organization', server_id: null });
    expect(await row(org.id)).toMatchObject({ organization_id: cast.acme, personal_owner_id: null, server_id: null });
    // Naming Globex in X-Organization-Id is not being in Globex.
    const named = await api()('POST', '/notes', {
      token: t,
      body: { title: 'Via header', body: 'x' },
      headers: { 'x-organization-id': cast.globex },
    });
    expect(named.status).toBe(404);
    expect(await ctx.db.selectFrom('notes').select('id').where('title', '=', 'Via header').execute()).toEqual([]);
  });

  it('foreign and malformed ids are 404; bad input is 422 with the field', async () => {
    const t = cast.tokens.gus;
    const acmeNote = (await api()('GET', '/notes?q=Rota', { token: cast.tokens.mia })).body.data[0];
    for (const [method, body] of [['GET'], ['PATCH', { body: 'gus' }], ['DELETE']] as const) {
      expect((await api()(method, `/notes/${acmeNote.id}`, { token: t, body })).status).toBe(404);
      expect((await api()(method, '/notes/not-a-uuid', { token: t, body })).status).toBe(404);
    }
    expect((await api()('GET', `/notes?server_id=${cast.web.id}`, { token: t })).status).toBe(404);
    expect((await row(acmeNote.id))!.body).toBe('moved?');
    const empty = await api()('POST', '/notes', { token: cast.tokens.mia, body: { body: '   ' } });
    expect(empty.status).toBe(422);
    expect(empty.body.error.fields).toMatchObject({ body: 'Write the note.' });
    const long = await api()('PATCH', `/notes/${acmeNote.id}`, {
      token: cast.tokens.mia,
      body: { title: 't'.repeat(201) },
    });
    expect(long.status).toBe(422);
    expect(long.body.error.fields).toMatchObject({ title: 'Keep a title to 200 characters.' });
    const del = await api()('DELETE', `/notes/${acmeNote.id}`, { token: cast.tokens.mia });
    expect(del.status).toBe(204);
    expect(await row(acmeNote.id)).toBeUndefined();
  });
});
