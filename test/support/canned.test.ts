import { Eta } from 'eta';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cannedRepliesFor, createCannedReply, fillPlaceholders } from '../../src/domain/support/canned.ts';
import { openTicket } from '../../src/domain/support/tickets.ts';
import { ROOT_DIR } from '../../src/web/assets.ts';
import { viewHelpers } from '../../src/web/render.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
});
afterAll(async () => ctx.close());

const rowNamed = (title: string) =>
  ctx.db.selectFrom('canned_replies').selectAll().where('title', '=', title).executeTakeFirst();

describe('/admin/support/canned-replies', () => {
  it('staff add, list, search, edit and delete canned replies; bad input is 422 with the form and what was typed', async () => {
    const ada = await signedIn(ctx, cast.ada.email);
    const empty = await ada.get('/admin/support/canned-replies');
    expect(empty.status).toBe(200);
    expect(await empty.text()).toContain('<title>Canned replies · SkyPanel</title>');
    expect((await ada.get('/admin/support/canned-replies/new')).status).toBe(200);

    const created = await ada.post('/admin/support/canned-replies', {
      title: '  Password   reset ',
      body: 'Hi {{customer}},\r\n\r\nUse the link on the sign-in page.\r\n\r\n{{agent}}\n\n',
    });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/admin/support/canned-replies');
    const row = (await rowNamed('Password reset'))!;
    expect(row).toMatchObject({
      body: 'Hi {{customer}},\n\nUse the link on the sign-in page.\n\n{{agent}}',
      created_by: cast.ada.id,
    });

    // Empty body, over-long title: 422, the form again with what was typed.
    const bad = await ada.post('/admin/support/canned-replies', { title: 'Refunds <b>policy</b>', body: '   ' });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Write the reply.');
    expect(badHtml).toContain('value="Refunds &lt;b&gt;policy&lt;/b&gt;"');
    const long = await ada.post('/admin/support/canned-replies', { title: 'x'.repeat(121), body: 'kept body text' });
    expect(long.status).toBe(422);
    const longHtml = await long.text();
    expect(longHtml).toContain('Keep the title to 120 characters.');
    expect(longHtml).toContain('kept body text');
    // The same title, whatever its case.
    const dup = await ada.post('/admin/support/canned-replies', { title: 'PASSWORD RESET', body: 'again' });
    expect(dup.status).toBe(422);
    expect(await dup.text()).toContain('Another canned reply has this title.');
    expect(await ctx.db.selectFrom('canned_replies').select('id').execute()).toHaveLength(1);

    await ada.post('/admin/support/canned-replies', { title: 'Refund policy', body: 'Refunds go to the wallet.' });
    const list = await (await ada.get('/admin/support/canned-replies')).text();
    expect(list.indexOf('>Password reset</a>')).toBeLessThan(list.indexOf('>Refund policy</a>'));
    const searched = await (await ada.get('/admin/support/canned-replies?q=wallet')).text();
    expect(searched).toContain('Refund policy');
    expect(searched).not.toContain('Password reset');

    const edit = await ada.get(`/admin/support/canned-replies/${row.id}`);
    expect(edit.status).toBe(200);
    expect(await edit.text()).toContain('Use the link on the sign-in page.');
    const renamedToTaken = await ada.post(`/admin/support/canned-replies/${row.id}`, {
      title: 'refund policy',
      body: 'changed',
    });
    expect(renamedToTaken.status).toBe(422);
    expect(await renamedToTaken.text()).toContain('value="refund policy"');
    expect((await rowNamed('Password reset'))!.body).toContain('sign-in page');
    const saved = await ada.post(`/admin/support/canned-replies/${row.id}`, {
      title: 'Password reset',
      body: 'New text',
    });
    expect(saved.status).toBe(303);
    expect((await rowNamed('Password reset'))!.body).toBe('New text');

    expect((await ada.post(`/admin/support/canned-replies/${row.id}/delete`, {})).status).toBe(303);
    expect(await rowNamed('Password reset')).toBeUndefined();
    expect((await ada.get(`/admin/support/canned-replies/${row.id}`)).status).toBe(404);
    expect((await ada.get('/admin/support/canned-replies/not-a-uuid')).status).toBe(404);
  });

  it('is for platform staff only: customers get 404 and change nothing', async () => {
    const olive = await signedIn(ctx, cast.olive.email);
    expect((await olive.get('/admin/support/canned-replies')).status).toBe(404);
    expect((await olive.post('/admin/support/canned-replies', { title: 'Sneaky', body: 'x' })).status).toBe(404);
    expect(await rowNamed('Sneaky')).toBeUndefined();
  });
});

describe('the picker in the staff reply form', () => {
  it('offers every canned reply filled in for the ticket: customer and agent first names, number, subject', async () => {
    const staff = await actorOf(ctx, cast.ada.email);
    await createCannedReply(ctx.deps, staff, {
      title: 'Greeting',
      body: 'Hello {{customer}}, about {{ticket}} ({{subject}}): done. {{ agent }} {{unknown}}',
    });
    const ticket = await openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), {
      subject: 'Disk "full" <now>',
      message: 'help',
    });
    const offered = await cannedRepliesFor(ctx.deps, staff, ticket);
    const greeting = offered.find((r) => r.title === 'Greeting')!;
    expect(greeting.body).toBe(`Hello Mia, about #${ticket.number} (Disk "full" <now>): done. Ada {{unknown}}`);
    expect(fillPlaceholders('Hi {{customer}}', { customer: null, ticket: '1', subject: 's', agent: null })).toBe(
      'Hi there',
    );
    await expect(cannedRepliesFor(ctx.deps, await actorOf(ctx, cast.olive.email), ticket)).rejects.toMatchObject({
      status: 403,
    });

    // The partial the ticket page includes: each reply an option whose text is escaped into data-body.
    const eta = new Eta({ views: path.join(ROOT_DIR, 'views'), autoEscape: true, autoTrim: false });
    const html = eta.render('admin/support/_canned-picker', {
      canned: offered,
      target: 'f-reply',
      h: viewHelpers('UTC'),
      ctx: { nonce: 'n0nce', asset: (name: string) => `/static/${name}` },
    });
    expect(html).toContain('data-canned-for="f-reply"');
    expect(html).toContain('data-body="Hello Mia, about #');
    expect(html).toContain('(Disk &quot;full&quot; &lt;now&gt;)');
    expect(html).not.toContain('<now>');
    expect(html).toContain('<script nonce="n0nce" src="/static/js/canned-picker.js" defer></script>');
    const none = eta.render('admin/support/_canned-picker', {
      canned: [],
      target: 'f-reply',
      ctx: { nonce: 'n0nce', asset: (name: string) => `/static/${name}` },
    });
    expect(none).toContain('/admin/support/canned-replies/new');
    expect(none).not.toContain('<script');
  });
});
