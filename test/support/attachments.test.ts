import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTicket } from '../../src/domain/support/tickets.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import * as files from './attachments-files.ts';
import { attachmentIds, postMultipart } from './attachments-upload.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;
const MAX = 64 * 1024;

beforeAll(async () => {
  // Small files keep the size tests quick: 64 KiB each, 5 per message.
  ctx = await createTestContext({ TICKET_ATTACHMENT_MAX_BYTES: String(MAX) });
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
});
afterAll(async () => ctx.close());

const count = async (table: 'stored_files' | 'ticket_attachments' | 'tickets') =>
  Number(
    (
      await ctx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

async function ticketWith(email: string, uploads: files.Named[], subject = `Attached ${Math.random()}`) {
  const b = await signedIn(ctx, email);
  await b.get('/support/new');
  const res = await postMultipart(ctx, b, '/support', { subject, message: 'See the files.' }, uploads);
  expect(res.status).toBe(303);
  const id = res.headers.get('location')!.split('/').pop()!;
  const page = await (await b.get(`/support/${id}`)).text();
  return { b, id, page, attachments: attachmentIds(page) };
}

describe('attaching files to a new ticket and a reply', () => {
  it('a customer opens a ticket with a screenshot: the thread lists it with a preview, and it downloads with exact headers', async () => {
    const { b, id, page, attachments } = await ticketWith(cast.mia.email, [
      { name: 'screen shot.png', bytes: files.png(), type: 'text/html' },
    ]);
    expect(attachments).toHaveLength(1);
    const href = `/support/${id}/attachments/${attachments[0]}`;
    expect(page).toContain(`src="${href}?preview=1"`);
    expect(page).toContain('screen shot.png');

    const res = await b.get(href);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="screen shot.png"');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox; frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('private, no-store, no-transform');
    expect(res.headers.get('content-length')).toBe(String(files.png().length));
    expect(Buffer.from(await res.arrayBuffer()).equals(files.png())).toBe(true);

    const preview = await b.get(`${href}?preview=1`);
    expect(preview.headers.get('content-disposition')).toBe('inline; filename="screen shot.png"');
    expect(preview.headers.get('content-type')).toBe('image/png');
    expect(preview.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('accepts text logs, PDF and ZIP by content; only raster images are ever inline', async () => {
    const { b, id, page, attachments } = await ticketWith(cast.mia.email, [
      { name: 'syslog.log', bytes: files.log() },
      { name: 'invoice.pdf', bytes: files.pdf() },
      { name: 'logs.zip', bytes: files.zip() },
    ]);
    expect(attachments).toHaveLength(3);
    expect(page).not.toContain('?preview=1');
    const [log, pdf, zip] = await Promise.all(
      attachments.map((a) => b.get(`/support/${id}/attachments/${a}?preview=1`)),
    );
    expect(log!.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(pdf!.headers.get('content-type')).toBe('application/pdf');
    expect(zip!.headers.get('content-type')).toBe('application/zip');
    for (const r of [log!, pdf!, zip!]) expect(r.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(await log!.text()).toBe(files.log().toString());
  });

  it('refuses x.pdf that is HTML with 422: the form comes back with what was typed and the error on the file field; nothing is stored', async () => {
    const b = await signedIn(ctx, cast.mia.email);
    await b.get('/support/new');
    const [tickets, stored] = [await count('tickets'), await count('stored_files')];
    const res = await postMultipart(ctx, b, '/support', { subject: 'Kept subject', message: 'Kept message' }, [
      { name: 'ok.png', bytes: files.png() },
      { name: 'x.pdf', bytes: files.html(), type: 'application/pdf' },
    ]);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('value="Kept subject"');
    expect(html).toContain('Kept message</textarea>');
    expect(html).toMatch(/id="f-attachments-error"[^>]*>x\.pdf is not a kind of file we accept/);
    expect(await count('tickets')).toBe(tickets);
    expect(await count('stored_files')).toBe(stored);
  });

  it('refuses executables on a reply (ELF, a Windows .exe), keeping the typed reply', async () => {
    const { b, id } = await ticketWith(cast.mia.email, []);
    for (const bad of [
      { name: 'tool', bytes: files.elf() },
      { name: 'setup.exe', bytes: files.exe() },
    ]) {
      const res = await postMultipart(ctx, b, `/support/${id}/replies`, { message: 'my reply text' }, [bad]);
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain('my reply text</textarea>');
      expect(html).toContain(`${bad.name} is not a kind of file we accept`);
    }
    expect(await ctx.db.selectFrom('ticket_messages').select('id').where('ticket_id', '=', id).execute()).toHaveLength(
      1,
    );
  });

  it('refuses a file over the limit and a sixth file (422, form kept, nothing stored); a body over the raised limit is 413', async () => {
    const { b, id } = await ticketWith(cast.mia.email, []);
    const stored = await count('stored_files');
    const big = await postMultipart(ctx, b, `/support/${id}/replies`, { message: 'too big' }, [
      { name: 'big.log', bytes: Buffer.alloc(MAX + 1, 'a') },
    ]);
    expect(big.status).toBe(422);
    const bigHtml = await big.text();
    expect(bigHtml).toContain('too big</textarea>');
    expect(bigHtml).toContain('big.log is 64 KB; a file may be at most 64 KB.');
    const six = await postMultipart(
      ctx,
      b,
      `/support/${id}/replies`,
      { message: 'six files' },
      Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.txt`, bytes: Buffer.from(`file ${i}\n`) })),
    );
    expect(six.status).toBe(422);
    expect(await six.text()).toContain('Attach at most 5 files to one message (you chose 6).');
    expect(await count('stored_files')).toBe(stored);

    const huge = await postMultipart(ctx, b, `/support/${id}/replies`, { message: 'huge' }, [
      { name: 'a.log', bytes: Buffer.alloc(5 * MAX + 600 * 1024, 'a') },
    ]);
    expect(huge.status).toBe(413);
    expect(await count('stored_files')).toBe(stored);
  });

  it('the raised limit is for signed-in people only: an anonymous upload is refused past 64 KB, unread', async () => {
    const { id } = await ticketWith(cast.mia.email, []);
    const anonymous = new TestBrowser(ctx.app);
    await anonymous.get('/login');
    const res = await postMultipart(ctx, anonymous, `/support/${id}/replies`, { message: 'x' }, [
      { name: 'a.log', bytes: Buffer.alloc(100 * 1024, 'a') },
    ]);
    expect(res.status).toBe(413);
    const small = await postMultipart(ctx, anonymous, `/support/${id}/replies`, { message: 'x' });
    expect(small.status).toBe(401);
  });

  it('a reply over htmx with files answers the thread, its files listed', async () => {
    const { b, id } = await ticketWith(cast.mia.email, []);
    const res = await postMultipart(
      ctx,
      b,
      `/support/${id}/replies`,
      { message: 'with a gif' },
      [{ name: 'a.gif', bytes: files.gif() }],
      {
        'hx-request': 'true',
        'hx-target': 'ticket-thread',
      },
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('a.gif');
    expect(attachmentIds(html)).toHaveLength(1);
  });
});

describe('who may download', () => {
  it("another organization's attachment is 404, by its own ticket id or the other's", async () => {
    const { id, attachments } = await ticketWith(cast.mia.email, [{ name: 'a.png', bytes: files.png() }]);
    const gus = await signedIn(ctx, cast.gus.email);
    expect((await gus.get(`/support/${id}/attachments/${attachments[0]}`)).status).toBe(404);
    const own = await openTicket(ctx.deps, await actorOf(ctx, cast.gus.email), { subject: 'Globex', message: 'x' });
    expect((await gus.get(`/support/${own.id}/attachments/${attachments[0]}`)).status).toBe(404);
  });

  it("a member without tickets_view cannot fetch another member's ticket attachment; one with it can", async () => {
    const { id, attachments } = await ticketWith(cast.mia.email, [{ name: 'a.png', bytes: files.png() }]);
    const sam = await signedIn(ctx, cast.sam.email);
    expect((await sam.get(`/support/${id}/attachments/${attachments[0]}`)).status).toBe(404);
    const vera = await signedIn(ctx, cast.vera.email);
    expect((await vera.get(`/support/${id}/attachments/${attachments[0]}`)).status).toBe(200);
  });

  it("staff attach files to replies and internal notes; an internal note's files are staff-only", async () => {
    const { b: mia, id } = await ticketWith(cast.mia.email, []);
    const ada = await signedIn(ctx, cast.ada.email);
    await ada.get(`/admin/tickets/${id}`);
    const note = await postMultipart(
      ctx,
      ada,
      `/admin/tickets/${id}/replies`,
      { message: 'staff-only dump', internal: '1' },
      [{ name: 'secret.log', bytes: Buffer.from('internal details\n') }],
    );
    expect(note.status).toBe(303);
    const reply = await postMultipart(ctx, ada, `/admin/tickets/${id}/replies`, { message: 'Here is the fix' }, [
      { name: 'fix.txt', bytes: Buffer.from('apply this\n') },
    ]);
    expect(reply.status).toBe(303);

    const staffPage = await (await ada.get(`/admin/tickets/${id}`)).text();
    const [secret, fix] = attachmentIds(staffPage);
    expect(staffPage).toContain('secret.log');
    expect((await ada.get(`/admin/tickets/${id}/attachments/${secret}`)).status).toBe(200);
    expect((await ada.get(`/admin/tickets/${id}/attachments/${fix}`)).headers.get('content-disposition')).toBe(
      'attachment; filename="fix.txt"',
    );

    const customerPage = await (await mia.get(`/support/${id}`)).text();
    expect(customerPage).toContain('fix.txt');
    expect(customerPage).not.toContain('secret.log');
    expect((await mia.get(`/support/${id}/attachments/${secret}`)).status).toBe(404);
    expect((await mia.get(`/support/${id}/attachments/${fix}`)).status).toBe(200);
    expect((await mia.get(`/admin/tickets/${id}/attachments/${fix}`)).status).toBe(404);

    // The lists say how many files a ticket has: staff count the note's, the customer does not.
    const row = (html: string) => html.slice(html.indexOf(`/${id}"`), html.indexOf('</td>', html.indexOf(`/${id}"`)));
    expect(row(await (await ada.get('/admin/tickets?status=all')).text())).toContain('data-files="2">2 files<');
    expect(row(await (await mia.get('/support?status=all')).text())).toContain('data-files="1">1 file<');
  });

  it('a staff reply refused for its file keeps the text and the internal choice', async () => {
    const { id } = await ticketWith(cast.mia.email, []);
    const ada = await signedIn(ctx, cast.ada.email);
    await ada.get(`/admin/tickets/${id}`);
    const res = await postMultipart(ctx, ada, `/admin/tickets/${id}/replies`, { message: 'keep me', internal: '1' }, [
      { name: 'x.pdf', bytes: files.svg() },
    ]);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('keep me</textarea>');
    expect(html).toMatch(/name="internal" value="1" checked/);
    expect(html).toContain('x.pdf is not a kind of file we accept');
  });
});
