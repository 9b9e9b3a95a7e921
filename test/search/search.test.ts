import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinAs } from '../api-keys/helpers.ts';
import { insertServer } from '../firewalls/servers.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';

/**
 * The command palette's search (issue 16 item 11), through the app: Olive owns Acme, where Vera
 * is a viewer (servers, notes and tickets, no billing) and Tess may only open tickets; Gus owns
 * Globex; Ada is platform staff. Each finds what the pages would show them and nothing more.
 */
let ctx: TestContext;
let cast: Awaited<ReturnType<typeof makeCast>>;

async function makeCast() {
  const catalogue = await seedServerCatalogue(ctx.db);
  const [olive, vera, tess, gus, ada] = await Promise.all([
    createPerson(ctx, 'Olive Owner', { verified: true }),
    createPerson(ctx, 'Vera Viewer', { verified: true }),
    createPerson(ctx, 'Tess Ticketer', { verified: true }),
    createPerson(ctx, 'Gus Globex', { verified: true }),
    createPerson(ctx, 'Ada Admin', { verified: true, isAdmin: true }),
  ]);
  const acme = olive.organization.id;
  const globex = gus.organization.id;
  await ctx.db.updateTable('organizations').set({ name: 'Acme Rockets' }).where('id', '=', acme).execute();
  await ctx.db.updateTable('organizations').set({ name: 'Globex Corporation' }).where('id', '=', globex).execute();
  await joinAs(ctx, acme, vera.id, 'viewer');
  const ticketsOnly = await ctx.db
    .insertInto('roles')
    .values({ organization_id: acme, name: 'Tickets only', permissions: ['tickets_create'], predefined: false })
    .returning('id')
    .executeTakeFirstOrThrow();
  await ctx.db
    .insertInto('organization_members')
    .values({ organization_id: acme, user_id: tess.id, role_id: ticketsOnly.id })
    .execute();
  await ctx.db.updateTable('users').set({ active_organization_id: acme }).where('id', '=', tess.id).execute();

  const server = (org: string, label: string) => insertServer(ctx, catalogue, org, { label });
  const web = await server(acme, 'acme-web-01');
  await ctx.db
    .updateTable('servers')
    .set({ ipv4: ['192.0.2.44'] })
    .where('id', '=', web.id)
    .execute();
  const script = await server(acme, '<script>alert(1)</script>');
  const underscore = await server(acme, 'db_primary');
  await server(acme, 'dbXprimary');
  const percent = await server(acme, 'disk-100%');
  await server(acme, 'disk-1000');
  await insertServer(ctx, catalogue, acme, { label: 'acme-web-old', deleted: true });
  const globexWeb = await server(globex, 'globex-web-01');

  const invoice = (org: string, number: string) =>
    ctx.db
      .insertInto('invoices')
      .values({
        number,
        organization_id: org,
        kind: 'receipt',
        currency: 'USD',
        total: 10_000_000n,
        seller: '{}',
        buyer: '{}',
        lines: '[]',
        issued_at: ctx.clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  const acmeInvoice = await invoice(acme, 'INV-2026-00042');
  await invoice(globex, 'INV-2026-00043');

  const category = await ctx.db
    .selectFrom('ticket_categories')
    .select('id')
    .where('is_default', '=', true)
    .executeTakeFirstOrThrow();
  const ticket = (org: string, by: string, subject: string) =>
    ctx.db
      .insertInto('tickets')
      .values({ organization_id: org, opened_by: by, subject, category_id: category.id })
      .returning(['id', 'number'])
      .executeTakeFirstOrThrow();
  await ticket(acme, olive.id, 'Cannot reach the mail relay');
  await ticket(acme, tess.id, 'Relay quota question');
  await ticket(globex, gus.id, 'Globex relay outage');

  const note = (org: string, title: string, owner: string | null) =>
    ctx.db
      .insertInto('notes')
      .values({ organization_id: org, title, body: 'Some text.', personal_owner_id: owner, created_by: olive.id })
      .returning('id')
      .executeTakeFirstOrThrow();
  await note(acme, 'Runbook for deploys', null);
  await note(acme, 'Olive’s private runbook', olive.id);
  await note(globex, 'Globex runbook', null);

  return { olive, vera, tess, gus, ada, acme, globex, web, script, underscore, percent, globexWeb, acmeInvoice };
}

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await makeCast();
}, 60_000);
afterAll(async () => ctx.close());

const browsers = new Map<string, TestBrowser>();
async function as(email: string) {
  let b = browsers.get(email);
  if (!b) {
    b = await signedIn(ctx, email);
    browsers.set(email, b);
  }
  return b;
}
const HX = { 'hx-request': 'true', 'hx-target': 'palette-results' };
/** The palette's answer for `q`, as htmx asks for it. */
async function palette(email: string, q: string) {
  const res = await (await as(email)).get(`/search?q=${encodeURIComponent(q)}`, HX);
  expect(res.status).toBe(200);
  return res.text();
}
/** The labels of one group's options in a palette answer. */
function group(html: string, key: string): string[] {
  const start = html.indexOf(`aria-labelledby="palette-group-${key}"`);
  if (start < 0) return [];
  const end = html.indexOf('<div role="group"', start);
  const part = html.slice(start, end < 0 ? undefined : end);
  return [...part.matchAll(/<span class="truncate font-medium">([^<]*)<\/span>/g)].map((x) => x[1]!);
}

describe('the palette’s answer', () => {
  it('is the listbox alone for htmx, options that are links, with a count; the page for everyone else', async () => {
    const html = await palette(cast.olive.email, 'acme-web');
    expect(html).not.toContain('<html');
    expect(html).toContain('role="listbox" id="palette-listbox"');
    expect(html).toMatch(/role="option" id="palette-option-0" aria-selected="false"/);
    expect(html).toContain(`href="/vps/${cast.web.id}"`);
    expect(html).toContain('data-count="1"');
    expect(group(html, 'servers')).toEqual(['acme-web-01']);

    const page = await (await as(cast.olive.email)).get('/search?q=acme-web');
    const body = await page.text();
    expect(page.status).toBe(200);
    expect(body).toContain('<title>Search · SkyPanel</title>');
    expect(body).toContain('value="acme-web"');
    expect(body).toContain(`<a class="link" href="/vps/${cast.web.id}">acme-web-01</a>`);
    expect(body).toContain('1 result');
    expect(body).not.toContain('role="option" id="palette-option-0"');
  });

  it('finds a server by its address too, and never a deleted one', async () => {
    expect(group(await palette(cast.olive.email, '192.0.2.44'), 'servers')).toEqual(['acme-web-01']);
    expect(group(await palette(cast.olive.email, 'acme-web'), 'servers')).not.toContain('acme-web-old');
  });

  it('opens with the pages one may go to, and matches them by name', async () => {
    const opening = await palette(cast.vera.email, '');
    expect(group(opening, 'navigation')).toContain('Dashboard');
    expect(group(opening, 'navigation')).toContain('Servers');
    expect(group(await palette(cast.olive.email, 'invoic'), 'navigation')).toEqual(['Invoices']);
    // Vera has no billing_view: the sidebar hides Invoices from her, and so does the palette.
    expect(group(await palette(cast.vera.email, 'invoic'), 'navigation')).toEqual([]);
    // Only staff are offered the admin area's pages.
    expect(group(await palette(cast.olive.email, 'fraud'), 'navigation')).toEqual([]);
    expect(group(await palette(cast.ada.email, 'fraud'), 'navigation')).toEqual(['Fraud screening']);
    // Both "Servers" pages, the admin area's said to be so.
    const servers = await palette(cast.ada.email, 'servers');
    expect(servers).toContain('href="/vps"');
    expect(servers).toMatch(
      /href="\/admin\/servers"[^>]*><span class="truncate font-medium">Servers<\/span><span[^>]*>Admin area</,
    );
  });
});

describe('what each person finds', () => {
  it('Olive finds Acme’s invoice; Vera (viewer, no billing_view) gets no invoices; Gus none of Acme’s', async () => {
    expect(group(await palette(cast.olive.email, 'INV-2026'), 'invoices')).toEqual(['INV-2026-00042']);
    expect(await palette(cast.olive.email, 'INV-2026')).toContain(`href="/invoices/${cast.acmeInvoice.id}"`);
    const vera = await palette(cast.vera.email, 'INV-2026');
    expect(group(vera, 'invoices')).toEqual([]);
    expect(vera).not.toContain('INV-2026-00042');
    expect(group(await palette(cast.gus.email, 'INV-2026'), 'invoices')).toEqual(['INV-2026-00043']);
  });

  it('another organization’s server is never found, by label or by id', async () => {
    const olive = await palette(cast.olive.email, 'web-01');
    expect(group(olive, 'servers')).toEqual(['acme-web-01']);
    expect(olive).not.toContain('globex');
    expect(group(await palette(cast.gus.email, 'web-01'), 'servers')).toEqual(['globex-web-01']);
    expect(await palette(cast.gus.email, 'acme')).not.toContain('acme-web-01');
    expect(await palette(cast.olive.email, cast.globexWeb.id)).not.toContain(`/vps/${cast.globexWeb.id}`);
  });

  it('tickets follow the support rules: the viewer reads all of Acme’s, Tess (tickets_create alone) only her own; by subject or number', async () => {
    const vera = group(await palette(cast.vera.email, 'relay'), 'tickets');
    expect(vera).toHaveLength(2);
    const tessAnswer = await palette(cast.tess.email, 'relay');
    expect(tessAnswer).toContain('Relay quota question');
    expect(tessAnswer).not.toContain('Cannot reach the mail relay');
    expect(tessAnswer).not.toContain('Globex relay outage');
    const olives = await ctx.db
      .selectFrom('tickets')
      .select(['id', 'number'])
      .where('subject', '=', 'Cannot reach the mail relay')
      .executeTakeFirstOrThrow();
    const byNumber = await palette(cast.olive.email, `#${olives.number}`);
    expect(byNumber).toContain(`href="/support/${olives.id}"`);
    expect(group(byNumber, 'tickets')).toEqual([`#${olives.number}`]);
    // Tess cannot find Olive's ticket by its number either.
    expect(await palette(cast.tess.email, `#${olives.number}`)).not.toContain(olives.id);
  });

  it('notes: the organization’s for notes_view, personal ones only for their author, none of Globex’s', async () => {
    const olive = group(await palette(cast.olive.email, 'runbook'), 'notes');
    expect(olive.sort()).toEqual(['Olive’s private runbook', 'Runbook for deploys']);
    expect(group(await palette(cast.vera.email, 'runbook'), 'notes')).toEqual(['Runbook for deploys']);
    // Tess has no notes_view: not even the organization's note.
    expect(group(await palette(cast.tess.email, 'runbook'), 'notes')).toEqual([]);
    expect(group(await palette(cast.gus.email, 'runbook'), 'notes')).toEqual(['Globex runbook']);
  });

  it('users and organizations are for platform staff only', async () => {
    const ada = await palette(cast.ada.email, 'globex');
    expect(group(ada, 'organizations')).toEqual(['Globex Corporation']);
    expect(group(ada, 'users')).toEqual(['Gus Globex']);
    expect(ada).toContain(`href="/admin/organizations/${cast.globex}"`);
    expect(ada).toContain(`href="/admin/users/${cast.gus.id}"`);
    const olive = await palette(cast.olive.email, 'globex');
    expect(group(olive, 'organizations')).toEqual([]);
    expect(group(olive, 'users')).toEqual([]);
    expect(olive).not.toContain('Gus Globex');
    expect(olive).not.toContain('Globex Corporation');
  });
});

describe('what is typed', () => {
  it('a server labelled <script> is shown as text, never as markup', async () => {
    const html = await palette(cast.olive.email, '<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain(`href="/vps/${cast.script.id}"`);
    const page = await (await (await as(cast.olive.email)).get('/search?q=%3Cscript%3E')).text();
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('value="&lt;script&gt;"');
  });

  it('% and _ match themselves, not any text', async () => {
    expect(group(await palette(cast.olive.email, 'db_'), 'servers')).toEqual(['db_primary']);
    expect(group(await palette(cast.olive.email, '100%'), 'servers')).toEqual(['disk-100%']);
    expect(group(await palette(cast.olive.email, '%'), 'servers')).toEqual(['disk-100%']);
    expect(group(await palette(cast.olive.email, '_'), 'servers')).toEqual(['db_primary']);
  });

  it('nothing found says so; a long search is cut, not refused', async () => {
    const html = await palette(cast.olive.email, 'zzz-nothing-like-this');
    expect(html).toContain('data-count="0"');
    expect(html).toContain('Nothing found for “zzz-nothing-like-this”.');
    const long = await (await as(cast.olive.email)).get(`/search?q=${'a'.repeat(5000)}`, HX);
    expect(long.status).toBe(200);
  });

  it('signed-out visitors are sent to sign in', async () => {
    const res = await ctx.app.request('/search?q=acme');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
  });
});

describe('the layouts', () => {
  it('the portal and admin pages carry the palette: its opener (a link to /search), its dialog and its script under the nonce', async () => {
    for (const [email, path] of [
      [cast.olive.email, '/dashboard'],
      [cast.ada.email, '/admin/users'],
    ] as const) {
      const html = await (await (await as(email)).get(path)).text();
      expect(html, path).toContain('<a href="/search" class="btn btn-secondary" data-palette-open');
      expect(html, path).toContain(
        '<dialog id="palette" role="dialog" aria-modal="true" aria-labelledby="palette-title"',
      );
      expect(html, path).toMatch(/role="combobox" aria-expanded="false" aria-controls="palette-listbox"/);
      expect(html, path).toMatch(
        /<script nonce="[^"]+" src="\/static\/build\/js\/palette\.[0-9a-f]+\.js" defer><\/script>/,
      );
    }
  });
});
