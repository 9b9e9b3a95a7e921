import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteFile, openFile, withStoredFiles } from '../../src/domain/files/store.ts';
import { checkFile, contentDisposition, safeFileName, sniff } from '../../src/lib/file-types.ts';
import { loadConfig } from '../../src/config.ts';
import { createS3Client, S3Error } from '../../src/providers/s3/client.ts';
import { s3FromConfig } from '../../src/providers/s3/index.ts';
import { startS3Emulator, type S3Emulator } from '../../src/providers/s3/emulator/index.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import * as files from './attachments-files.ts';

describe('file kinds are decided by content', () => {
  it('accepts PNG, JPEG, GIF, WebP, PDF, text and ZIP by their bytes', () => {
    expect(sniff(files.png())).toBe('image/png');
    expect(sniff(files.jpeg())).toBe('image/jpeg');
    expect(sniff(files.gif())).toBe('image/gif');
    expect(sniff(files.webp())).toBe('image/webp');
    expect(sniff(files.pdf())).toBe('application/pdf');
    expect(sniff(files.log())).toBe('text/plain');
    expect(sniff(files.zip())).toBe('application/zip');
  });

  it('refuses executables, HTML and SVG, whatever they are called', () => {
    expect(sniff(files.elf())).toBeNull();
    expect(sniff(files.exe())).toBeNull();
    expect(sniff(files.html())).toBeNull();
    expect(sniff(files.svg())).toBeNull();
    expect(sniff(Buffer.from('notes\n<script>steal()</script>'))).toBeNull();
    expect(sniff(Buffer.from([0xc3, 0x28]))).toBeNull(); // not UTF-8
    expect(checkFile('server.exe', files.exe())).toMatchObject({
      ok: false,
      message: expect.stringContaining('not a kind of file we accept'),
    });
  });

  it('refuses a name that disagrees with the content: x.pdf holding HTML, a PNG named .txt', () => {
    expect(checkFile('x.pdf', files.html())).toEqual({
      ok: false,
      message: expect.stringContaining('x.pdf is not a kind of file we accept'),
    });
    expect(checkFile('x.pdf', files.log())).toEqual({
      ok: false,
      message:
        'x.pdf is named like a .pdf file but its content is a text file; rename it to .txt or send a different file.',
    });
    expect(checkFile('shot.txt', files.png())).toMatchObject({ ok: false });
    expect(checkFile('shot.PNG', files.png())).toEqual({ ok: true, type: 'image/png', name: 'shot.PNG' });
    expect(checkFile('dmesg', files.log())).toEqual({ ok: true, type: 'text/plain', name: 'dmesg' });
  });

  it('makes names safe: no path, control or bidi characters, quotes; a sane length; RFC 5987 for the rest', () => {
    expect(safeFileName('C:\\Users\\me\\..\\evil".png')).toBe('evil_.png');
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('a\u202Egnp.exe')).toBe('agnp.exe');
    expect(safeFileName('x\r\nSet-Cookie: a=b.txt')).toBe('xSet-Cookie_ a=b.txt');
    expect(safeFileName('...')).toBe('file');
    const long = safeFileName(`${'a'.repeat(300)}.log`);
    expect(long).toHaveLength(120);
    expect(long.endsWith('.log')).toBe(true);
    expect(contentDisposition('attachment', 'report.pdf')).toBe('attachment; filename="report.pdf"');
    expect(contentDisposition('attachment', 'Größe €.txt')).toBe(
      `attachment; filename="Gr__e _.txt"; filename*=UTF-8''Gr%C3%B6%C3%9Fe%20%E2%82%AC.txt`,
    );
  });
});

describe('S3 settings', () => {
  const base = { NODE_ENV: 'test', DATABASE_URL: 'postgres://x@localhost/x' };
  it('are all or nothing: an endpoint needs a bucket and both keys, a bucket needs an endpoint', () => {
    expect(() => loadConfig({ ...base, S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow(
      /S3_ENDPOINT \/ S3_BUCKET: set both or neither/,
    );
    expect(() => loadConfig({ ...base, S3_BUCKET: 'files' })).toThrow(/S3_ENDPOINT \/ S3_BUCKET/);
    expect(() =>
      loadConfig({ ...base, S3_ENDPOINT: 'http://127.0.0.1:9000', S3_BUCKET: 'files', S3_ACCESS_KEY_ID: 'k' }),
    ).toThrow(/S3_ACCESS_KEY_ID \/ S3_SECRET_ACCESS_KEY: required with S3_ENDPOINT/);
    const config = loadConfig(base);
    expect(s3FromConfig(config)).toBeNull();
    expect(config.TICKET_ATTACHMENT_MAX_BYTES).toBe(10 * 1024 * 1024);
    expect(config.TICKET_ATTACHMENTS_PER_MESSAGE).toBe(5);
  });
});

describe('the S3 client and emulator', () => {
  let s3: S3Emulator;
  beforeAll(async () => {
    s3 = await startS3Emulator({ buckets: ['files'] });
  });
  afterAll(async () => s3.close());
  const client = (secret = s3.secretAccessKey) =>
    createS3Client({
      endpoint: s3.url,
      bucket: 'files',
      region: 'eu-west-1',
      accessKeyId: s3.accessKeyId,
      secretAccessKey: secret,
    });

  it('puts, gets and deletes an object, signed with SigV4', async () => {
    await client().putObject('files/a b/ü.png', files.png(), 'image/png');
    const got = await client().getObject('files/a b/ü.png');
    expect(got.bytes.equals(files.png())).toBe(true);
    expect(got.contentType).toBe('image/png');
    await client().deleteObject('files/a b/ü.png');
    await expect(client().getObject('files/a b/ü.png')).rejects.toMatchObject({ code: 'NoSuchKey', status: 404 });
  });

  it('the emulator refuses a wrong secret (SignatureDoesNotMatch), an unknown key and an unknown bucket', async () => {
    const err = await client('not-the-secret')
      .putObject('x', Buffer.from('x'), 'text/plain')
      .catch((e: S3Error) => e);
    expect(err).toBeInstanceOf(S3Error);
    expect(err).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    expect(s3.objects.has('files/x')).toBe(false);
    const stranger = createS3Client({
      endpoint: s3.url,
      bucket: 'files',
      region: 'eu-west-1',
      accessKeyId: 'WHO',
      secretAccessKey: 'x',
    });
    await expect(stranger.getObject('x')).rejects.toMatchObject({ code: 'InvalidAccessKeyId' });
    const elsewhere = createS3Client({
      endpoint: s3.url,
      bucket: 'nope',
      region: 'eu-west-1',
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    await expect(elsewhere.getObject('x')).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('the emulator refuses a body that is not the one signed, and an unsigned request', async () => {
    const res = await fetch(`${s3.url}/files/y`, { method: 'PUT', body: 'y' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
    const late = createS3Client({
      endpoint: s3.url,
      bucket: 'files',
      region: 'eu-west-1',
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      now: () => new Date(Date.now() - 3_600_000),
    });
    await expect(late.putObject('z', Buffer.from('z'), 'text/plain')).rejects.toMatchObject({
      code: 'RequestTimeTooSkewed',
    });
  });
});

describe('stored files', () => {
  let pg: TestContext;
  let s3ctx: TestContext;
  let s3: S3Emulator;
  beforeAll(async () => {
    s3 = await startS3Emulator({ buckets: ['skypanel-files'] });
    pg = await createTestContext();
    s3ctx = await createTestContext({
      S3_ENDPOINT: s3.url,
      S3_BUCKET: 'skypanel-files',
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
  });
  afterAll(async () => {
    await pg?.close();
    await s3ctx?.close();
    await s3?.close();
  });

  it('keeps bytes in PostgreSQL by default, with their SHA-256, size and type', async () => {
    const f = await withStoredFiles(pg.deps, (store) =>
      store(pg.db, { bytes: files.pdf(), contentType: 'application/pdf' }),
    );
    const row = await pg.db.selectFrom('stored_files').selectAll().where('id', '=', f.id).executeTakeFirstOrThrow();
    expect(row.storage).toBe('postgres');
    expect(row.bytes!.equals(files.pdf())).toBe(true);
    const opened = await openFile(pg.deps, pg.db, f.id);
    expect(opened).toMatchObject({ size: files.pdf().length, contentType: 'application/pdf', sha256: f.sha256 });
    expect(opened!.bytes.equals(files.pdf())).toBe(true);
    await deleteFile(pg.deps, pg.db, f.id);
    expect(await openFile(pg.deps, pg.db, f.id)).toBeNull();
  });

  it('keeps bytes in the bucket when S3_* is set, and deletes the object again when the work around it fails', async () => {
    const f = await withStoredFiles(s3ctx.deps, (store) =>
      store(s3ctx.db, { bytes: files.png(), contentType: 'image/png' }),
    );
    const row = await s3ctx.db.selectFrom('stored_files').selectAll().where('id', '=', f.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ storage: 's3', bytes: null, object_key: `files/${f.id}` });
    expect(s3.objects.get(`skypanel-files/files/${f.id}`)!.bytes.equals(files.png())).toBe(true);
    expect((await openFile(s3ctx.deps, s3ctx.db, f.id))!.bytes.equals(files.png())).toBe(true);

    // An object changed in the bucket behind our back is not served.
    const obj = s3.objects.get(`skypanel-files/files/${f.id}`)!;
    s3.objects.set(`skypanel-files/files/${f.id}`, { ...obj, bytes: files.gif() });
    await expect(openFile(s3ctx.deps, s3ctx.db, f.id)).rejects.toMatchObject({
      status: 503,
      code: 'storage_unavailable',
    });
    s3.objects.set(`skypanel-files/files/${f.id}`, obj);

    const before = s3.objects.size;
    await expect(
      withStoredFiles(s3ctx.deps, async (store) => {
        await store(s3ctx.db, { bytes: files.gif(), contentType: 'image/gif' });
        throw new Error('the transaction failed');
      }),
    ).rejects.toThrow('the transaction failed');
    expect(s3.objects.size).toBe(before);
  });
});
