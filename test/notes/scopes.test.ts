import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeCast } from './cast.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue, type SeededCatalogue } from '../helpers/servers.ts';

/**
 * Personal and organization notes through the /notes forms. Acme: Olive (owner), Mia (member:
 * notes_view + notes_manage), Vera (viewer: notes_view only), Quinn (a role without any notes
 * permission). Gus owns Globex.
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
const noteTitled = (title: string) =>
  ctx.db.selectFrom('notes').selectAll().where('title', '=', title).executeTakeFirst();
async function browser(email: string) {
  const b = await signedIn(ctx, email);
  await b.get('/notes');
  return b;
}

describe('personal notes', () => {
  it('any member adds one, whatever their role; only its author sees it', async () => {
    const quinn = await browser(cast.quinn.email);
    const res = await quinn.post('/notes', { scope: 'personal', title: 'Quinn todo', body: 'Renew **certs**.' });
    expect(res.status).toBe(303);
    const row = await noteTitled('Quinn todo');
    expect(row).toMatchObject({ organization_id: cast.acme, personal_owner_id: cast.quinn.id, server_id: null });
    const mine = await (await quinn.get('/notes')).text();
    expect(mine).toContain('Quinn todo');
    expect(mine).toContain('Renew <strong>certs</strong>.');
    expect(mine).toContain('>Personal</span>');
    for (const email of [cast.olive.email, cast.mia.email, cast.vera.email, cast.gus.email]) {
      const b = await browser(email);
      expect(await (await b.get('/notes')).text()).not.toContain('Quinn todo');
      expect(await (await b.get('/notes?scope=personal&q=Quinn')).text()).not.toContain('Quinn todo');
    }
  });

  it('Quinn (no notes permission) sees no organization notes and may not add one (403)', async () => {
    const mia = await browser(cast.mia.email);
    await mia.post('/notes', { scope: 'organization', title: 'Org rota', body: 'On-call rota in the wiki.' });
    const quinn = await browser(cast.quinn.email);
    const html = await (await quinn.get('/notes')).text();
    expect(html).not.toContain('Org rota');
    expect(html).not.toContain('value="organization"');
    expect((await quinn.get('/notes?scope=organization')).status).toBe(403);
    const refused = await quinn.post('/notes', { scope: 'organization', title: 'Sneaky', body: 'x' }, { headers: hx });
    expect(refused.status).toBe(403);
    expect(await noteTitled('Sneaky')).toBeUndefined();
    // A viewer reads organization notes but adds only personal ones.
    const vera = await browser(cast.vera.email);
    expect(await (await vera.get('/notes')).text()).toContain('Org rota');
    expect((await vera.post('/notes', { scope: 'organization', body: 'v' }, { headers: hx })).status).toBe(403);
    expect((await vera.post('/notes', { scope: 'personal', title: 'Vera own', body: 'v' })).status).toBe(303);
    expect(await noteTitled('Vera own')).toMatchObject({ personal_owner_id: cast.vera.id });
  });

  it('another member cannot read, change or delete it: 404 (403 without notes_manage), nothing changes', async () => {
    const note = (await noteTitled('Quinn todo'))!;
    const olive = await browser(cast.olive.email);
    const vera = await browser(cast.vera.email);
    const gus = await browser(cast.gus.email);
    expect(
      (await olive.post(`/notes/${note.id}`, { body: 'owner was here' }, { method: 'PATCH', headers: hx })).status,
    ).toBe(404);
    expect((await olive.post(`/notes/${note.id}`, {}, { method: 'DELETE', headers: hx })).status).toBe(404);
    expect((await gus.post(`/notes/${note.id}`, { body: 'gus' }, { method: 'PATCH', headers: hx })).status).toBe(404);
    expect((await gus.post(`/notes/${note.id}`, {}, { method: 'DELETE' })).status).toBe(404);
    expect((await vera.post(`/notes/${note.id}`, { body: 'vera' }, { method: 'PATCH', headers: hx })).status).toBe(403);
    expect((await noteTitled('Quinn todo'))!.body).toBe('Renew **certs**.');
    // Its author edits and deletes it without any notes permission.
    const quinn = await browser(cast.quinn.email);
    const edited = await quinn.post(
      `/notes/${note.id}`,
      { title: 'Quinn todo', body: 'Renew certs by Friday.', pinned_field: '1', pinned: '1' },
      { method: 'PATCH', headers: hx },
    );
    expect(edited.status).toBe(200);
    expect(await noteTitled('Quinn todo')).toMatchObject({ body: 'Renew certs by Friday.', pinned: true });
  });
});

describe('scope injection through the form', () => {
  it('organization_id, personal_owner_id and created_by in a new note are ignored; a foreign server is 404', async () => {
    const mia = await browser(cast.mia.email);
    const res = await mia.post('/notes', {
      scope: 'personal',
      title: 'Injected personal',
      body: 'mine',
      organization_id: cast.globex,
      personal_owner_id: cast.vera.id,
      created_by: cast.gus.id,
    });
    expect(res.status).toBe(303);
    expect(await noteTitled('Injected personal')).toMatchObject({
      organization_id: cast.acme,
      personal_owner_id: cast.mia.id,
      created_by: cast.mia.id,
    });
    await mia.post('/notes', { scope: 'organization', title: 'Injected org', body: 'x', organization_id: cast.globex });
    expect(await noteTitled('Injected org')).toMatchObject({ organization_id: cast.acme, personal_owner_id: null });
    const foreign = await mia.post(
      '/notes',
      { server_id: cast.globexDb.id, title: 'Injected server', body: 'x' },
      { headers: hx },
    );
    expect(foreign.status).toBe(404);
    expect(await noteTitled('Injected server')).toBeUndefined();
    // A server note is always the organization's, even when asked to be personal.
    await mia.post('/notes', { server_id: cast.web.id, scope: 'personal', title: 'Server personal?', body: 'x' });
    expect(await noteTitled('Server personal?')).toMatchObject({ server_id: cast.web.id, personal_owner_id: null });
  });

  it('an edit cannot move a note to another organization, owner, server or scope', async () => {
    const note = (await noteTitled('Injected org'))!;
    const mia = await browser(cast.mia.email);
    const res = await mia.post(
      `/notes/${note.id}`,
      {
        title: 'Injected org',
        body: 'edited',
        organization_id: cast.globex,
        personal_owner_id: cast.mia.id,
        server_id: cast.web.id,
        scope: 'personal',
      },
      { method: 'PATCH', headers: hx },
    );
    expect(res.status).toBe(200);
    expect(await noteTitled('Injected org')).toMatchObject({
      body: 'edited',
      organization_id: cast.acme,
      personal_owner_id: null,
      server_id: null,
    });
  });
});

describe('pinned first, search, form errors', () => {
  it('lists pinned notes first, then newest; searches title and body (case-insensitive, % and _ literal)', async () => {
    const mia = await browser(cast.mia.email);
    await mia.post('/notes', { scope: 'organization', title: 'Alpha plain', body: 'first zebra' });
    ctx.clock.advance(60_000);
    await mia.post('/notes', { scope: 'organization', title: 'Beta pinned', body: 'second', pinned: '1' });
    ctx.clock.advance(60_000);
    await mia.post('/notes', { scope: 'personal', title: 'Gamma newest', body: 'third 100% sure' });
    const html = await (await mia.get('/notes')).text();
    const at = (t: string) => html.indexOf(t);
    expect(at('Beta pinned')).toBeGreaterThan(0);
    expect(at('Beta pinned')).toBeLessThan(at('Gamma newest'));
    expect(at('Gamma newest')).toBeLessThan(at('Alpha plain'));
    const byBody = await (await mia.get('/notes?q=ZEBRA')).text();
    expect(byBody).toContain('Alpha plain');
    expect(byBody).not.toContain('Beta pinned');
    const byTitle = await (await mia.get('/notes?q=gamma')).text();
    expect(byTitle).toContain('Gamma newest');
    expect(byTitle).not.toContain('Alpha plain');
    const percent = await (await mia.get('/notes?q=100%25')).text();
    expect(percent).toContain('Gamma newest');
    expect(percent).not.toContain('Alpha plain');
    expect(await (await mia.get('/notes?q=%25')).text()).not.toContain('Alpha plain');
    const personalOnly = await (await mia.get('/notes?scope=personal')).text();
    expect(personalOnly).toContain('Gamma newest');
    expect(personalOnly).not.toContain('Beta pinned');
  });

  it('refuses a title over 200 characters with the form again (422), keeping what was typed', async () => {
    const mia = await browser(cast.mia.email);
    const title = 't'.repeat(201);
    for (const headers of [hx, {}]) {
      const res = await mia.post('/notes', { scope: 'personal', title, body: 'Kept <body> text' }, { headers });
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain('Keep a title to 200 characters.');
      expect(html).toContain(`value="${title}"`);
      expect(html).toContain('Kept &lt;body&gt; text</textarea>');
      expect(html).toContain('<option value="personal" selected>');
    }
  });

  it('renders bodies as sanitised Markdown on the page', async () => {
    const mia = await browser(cast.mia.email);
    await mia.post('/notes', {
      scope: 'personal',
      title: 'XSS <img src=x onerror=alert(1)>',
      body: '[bad](javascript:alert(1)) [good](https://example.com) <script>alert(1)</script>',
    });
    const html = await (await mia.get('/notes?q=XSS')).text();
    expect(html).toContain('XSS &lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('[bad](javascript:alert(1))');
    expect(html).toContain('<a href="https://example.com" rel="noopener noreferrer nofollow">good</a>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('href="javascript:');
  });
});

describe('a long list', () => {
  it('shows the first 100 notes, pinned first, says there are more, and search finds the others', async () => {
    await ctx.db
      .insertInto('notes')
      .values(
        Array.from({ length: 120 }, (_, i) => ({
          organization_id: cast.acme,
          personal_owner_id: cast.olive.id,
          title: `bulk-${i}`,
          body: 'bulk',
          created_at: new Date(Date.UTC(2026, 0, 1, 0, i)),
        })),
      )
      .execute();
    const olive = await browser(cast.olive.email);
    const html = await (await olive.get('/notes')).text();
    expect(html).toContain('Showing the first 100 notes. Search to find the others.');
    expect(html).toContain('Beta pinned');
    expect(html).not.toContain('bulk-0<');
    const found = await (await olive.get('/notes?q=bulk-0')).text();
    expect(found).toContain('bulk-0<');
    expect(found).not.toContain('Showing the first');
  });
});
