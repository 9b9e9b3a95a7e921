import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffReply } from '../../src/domain/support/staff.ts';
import { openTicket } from '../../src/domain/support/tickets.ts';
import { startS3Emulator, type S3Emulator } from '../../src/providers/s3/emulator/index.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import * as files from './attachments-files.ts';
import { attachmentIds, postMultipart } from './attachments-upload.ts';
import { actorOf, supportCast } from './helpers.ts';

const IP = '198.51.100.78';

/** A reply over the API as multipart: `message` and the repeatable `attachments`. */
async function apiUpload(ctx: TestContext, token: string, ticketId: string, message: string, uploads: files.Named[]) {
  const form = new FormData();
  form.set('message', message);
  for (const f of uploads) form.append('attachments', new File([new Uint8Array(f.bytes)], f.name));
  const res = await ctx.app.request(`/api/v1/tickets/${ticketId}/replies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': IP },
    body: form,
  });
  return { status: res.status, body: await res.json() };
}

describe('the tickets API and attachments', () => {
  let ctx: TestContext;
  let cast: Awaited<ReturnType<typeof supportCast>>;
  let api: ReturnType<typeof apiClient>;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    ctx = await createTestContext({ TICKET_ATTACHMENT_MAX_BYTES: String(64 * 1024) });
    cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
    api = apiClient(ctx, IP);
    for (const k of ['mia', 'sam', 'gus'] as const) tokens[k] = await tokenFor(ctx, cast[k].email, IP);
  });
  afterAll(async () => ctx.close());

  it('a multipart reply keeps its files; the ticket lists them (id, file_name, content_type, size, url) and each downloads', async () => {
    const t = await openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), { subject: 'API files', message: 'x' });
    const res = await apiUpload(ctx, tokens.mia!, t.id, 'Logs attached', [
      { name: 'boot.log', bytes: files.log() },
      { name: 'shot.png', bytes: files.png() },
    ]);
    expect(res.status).toBe(201);
    expect(res.body.message).toBe('Logs attached');
    expect(res.body.attachments).toEqual([
      {
        id: expect.any(String),
        file_name: 'boot.log',
        content_type: 'text/plain',
        size: files.log().length,
        url: expect.any(String),
      },
      {
        id: expect.any(String),
        file_name: 'shot.png',
        content_type: 'image/png',
        size: files.png().length,
        url: expect.any(String),
      },
    ]);
    const png = res.body.attachments[1];
    expect(png.url).toBe(`/api/v1/tickets/${t.id}/attachments/${png.id}`);

    const detail = await api('GET', `/tickets/${t.id}`, { token: tokens.mia });
    expect(detail.body.replies[1].attachments.map((a: { id: string }) => a.id)).toEqual(
      res.body.attachments.map((a: { id: string }) => a.id),
    );

    const dl = await ctx.app.request(png.url, {
      headers: { authorization: `Bearer ${tokens.mia}`, 'x-forwarded-for': IP },
    });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('image/png');
    expect(dl.headers.get('content-disposition')).toBe('attachment; filename="shot.png"');
    expect(dl.headers.get('x-content-type-options')).toBe('nosniff');
    expect(dl.headers.get('cache-control')).toBe('private, no-store, no-transform');
    expect(Buffer.from(await dl.arrayBuffer()).equals(files.png())).toBe(true);
  });

  it('a JSON reply still works; refusals are the error envelope: 422 naming attachments, 413 beyond the raised limit', async () => {
    const t = await openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), { subject: 'API refusals', message: 'x' });
    expect(
      (await api('POST', `/tickets/${t.id}/replies`, { token: tokens.mia, body: { message: 'plain' } })).body
        .attachments,
    ).toEqual([]);
    const html = await apiUpload(ctx, tokens.mia!, t.id, 'bad', [{ name: 'x.pdf', bytes: files.html() }]);
    expect(html.status).toBe(422);
    expect(html.body.error).toMatchObject({
      code: 'validation_failed',
      fields: { attachments: expect.stringContaining('x.pdf is not a kind of file we accept') },
    });
    const six = await apiUpload(
      ctx,
      tokens.mia!,
      t.id,
      'six',
      Array.from({ length: 6 }, (_, i) => ({ name: `${i}.txt`, bytes: Buffer.from('x\n') })),
    );
    expect(six.status).toBe(422);
    const huge = await apiUpload(ctx, tokens.mia!, t.id, 'huge', [
      { name: 'a.log', bytes: Buffer.alloc(5 * 64 * 1024 + 600 * 1024, 'a') },
    ]);
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const anonymous = await apiUpload(ctx, 'spt_not-a-token', t.id, 'who', [
      { name: 'a.log', bytes: Buffer.alloc(1024 * 1024 + 1, 'a') },
    ]);
    expect(anonymous.status).toBe(413); // a caller without a valid credential keeps the API's 1 MiB
    const stored = await ctx.db.selectFrom('ticket_attachments').select('id').where('ticket_id', '=', t.id).execute();
    expect(stored).toHaveLength(0);
  });

  it("another organization's file, another member's ticket without tickets_view, and staff notes' files are 404", async () => {
    const t = await openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), {
      subject: 'API visibility',
      message: 'x',
      attachments: [{ name: 'a.txt', bytes: Buffer.from('mine\n') }],
    });
    const ada = await actorOf(ctx, cast.ada.email);
    const note = await staffReply(ctx.deps, ada, t.id, {
      message: 'note',
      internal: true,
      attachments: [{ name: 'n.txt', bytes: Buffer.from('staff\n') }],
    });
    const mine = t.messages[0]!.attachments[0]!.id;
    const get = (token: string, id: string) =>
      ctx.app.request(`/api/v1/tickets/${t.id}/attachments/${id}`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': IP },
      });
    expect((await get(tokens.mia!, mine)).status).toBe(200);
    expect((await get(tokens.gus!, mine)).status).toBe(404);
    expect((await get(tokens.sam!, mine)).status).toBe(404);
    expect((await get(tokens.mia!, note.attachments[0]!.id)).status).toBe(404);
    const detail = await api('GET', `/tickets/${t.id}`, { token: tokens.mia });
    expect(JSON.stringify(detail.body)).not.toContain('n.txt');
  });

  it('opens a ticket as multipart with its files; a refused file keeps nothing (no ticket), and the 422 names attachments', async () => {
    const open = async (subject: string, uploads: files.Named[]) => {
      const form = new FormData();
      form.set('subject', subject);
      form.set('message', 'Screenshot attached');
      form.set('priority', 'high');
      for (const f of uploads) form.append('attachments', new File([new Uint8Array(f.bytes)], f.name));
      const res = await ctx.app.request('/api/v1/tickets', {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.mia}`, 'x-forwarded-for': IP },
        body: form,
      });
      return { status: res.status, body: await res.json() };
    };
    const made = await open('Opened with files', [{ name: 'shot.png', bytes: files.png() }]);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ subject: 'Opened with files', priority: 'high', status: 'open' });
    expect(made.body.replies).toHaveLength(1);
    expect(made.body.replies[0].attachments).toEqual([
      expect.objectContaining({ file_name: 'shot.png', content_type: 'image/png', size: files.png().length }),
    ]);

    const refused = await open('Opened with a fake PDF', [
      { name: 'shot.png', bytes: files.png() },
      { name: 'invoice.pdf', bytes: new TextEncoder().encode('<!doctype html><script>alert(1)</script>') },
    ]);
    expect(refused.status).toBe(422);
    expect(refused.body.error.fields.attachments).toBeTruthy();
    const kept = await ctx.db
      .selectFrom('tickets')
      .select('id')
      .where('subject', '=', 'Opened with a fake PDF')
      .execute();
    expect(kept).toEqual([]);
  });

  it('documents the multipart reply and the download in the OpenAPI document', async () => {
    const doc = (await api('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/tickets/{id}/replies'].post.requestBody.content)).toEqual([
      'application/json',
      'multipart/form-data',
    ]);
    expect(doc.paths['/tickets/{id}/attachments/{attachmentId}'].get.operationId).toBe('getTicketAttachment');
  });
});

describe('attachments in an S3 bucket', () => {
  let s3: S3Emulator;
  let ctx: TestContext;
  let wrong: TestContext;
  let cast: Awaited<ReturnType<typeof supportCast>>;
  const env = (secret: string) => ({
    S3_ENDPOINT: s3.url,
    S3_BUCKET: 'tickets',
    S3_REGION: 'eu-central-1',
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: secret,
  });

  beforeAll(async () => {
    s3 = await startS3Emulator({ buckets: ['tickets'] });
    ctx = await createTestContext(env(s3.secretAccessKey));
    cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
    // A second app on the same database whose secret the bucket does not know.
    wrong = await createTestContext(env('not-the-secret'), { shareDatabase: { url: ctx.url, db: ctx.db } });
  });
  afterAll(async () => {
    await wrong?.close();
    await ctx?.close();
    await s3?.close();
  });

  it('a customer’s screenshot goes to the bucket, signed, and downloads from it through the app', async () => {
    const b = await signedIn(ctx, cast.mia.email);
    await b.get('/support/new');
    const res = await postMultipart(ctx, b, '/support', { subject: 'S3 ticket', message: 'screenshot' }, [
      { name: 'shot.png', bytes: files.png() },
    ]);
    expect(res.status).toBe(303);
    const id = res.headers.get('location')!.split('/').pop()!;
    const [attachment] = attachmentIds(await (await b.get(`/support/${id}`)).text());
    const row = await ctx.db
      .selectFrom('ticket_attachments as a')
      .innerJoin('stored_files as f', 'f.id', 'a.file_id')
      .select(['f.storage', 'f.object_key', 'f.bytes'])
      .where('a.id', '=', attachment!)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ storage: 's3', bytes: null });
    expect(s3.objects.get(`tickets/${row.object_key}`)!.bytes.equals(files.png())).toBe(true);
    expect(s3.requests.at(-1)).toMatchObject({ method: 'PUT', status: 200 });

    const dl = await b.get(`/support/${id}/attachments/${attachment}`);
    expect(dl.status).toBe(200);
    expect(Buffer.from(await dl.arrayBuffer()).equals(files.png())).toBe(true);
    expect(s3.requests.at(-1)).toMatchObject({ method: 'GET', status: 200 });
  });

  it('with a wrong secret the bucket refuses the signature: the form answers with the message kept and nothing is stored', async () => {
    const b = await signedIn(wrong, cast.mia.email);
    await b.get('/support/new');
    const objects = s3.objects.size;
    const res = await postMultipart(wrong, b, '/support', { subject: 'Wrong secret', message: 'kept text' }, [
      { name: 'shot.png', bytes: files.png() },
    ]);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('kept text</textarea>');
    expect(html).toContain('Files cannot be stored or read right now.');
    expect(s3.requests.at(-1)).toMatchObject({ method: 'PUT', status: 403, code: 'SignatureDoesNotMatch' });
    expect(s3.objects.size).toBe(objects);
    expect(await ctx.db.selectFrom('tickets').select('id').where('subject', '=', 'Wrong secret').execute()).toEqual([]);
  });
});
