import { createHash, randomUUID } from 'node:crypto';
import type { DbOrTx } from '../../db/index.ts';
import { AppError } from '../../lib/errors.ts';
import { S3Error, s3FromConfig } from '../../providers/s3/index.ts';
import type { Deps } from '../deps.ts';

/**
 * Stored files: uploaded bytes with their SHA-256, size and sniffed content type, kept in
 * PostgreSQL (`stored_files.bytes`, so any number of app containers share them) or, when S3_*
 * is configured, as objects `files/<id>` of an S3-compatible bucket. Where a file went is on
 * its row, so files written before a switch stay readable. Generic: ticket attachments use it
 * (src/domain/support/attachments.ts), and other uploads may.
 *
 * A bucket is not part of a database transaction: write files with `withStoredFiles`, whose
 * objects are deleted again when the work around them fails, so a refused or rolled-back write
 * leaves nothing behind in either place.
 */

export interface FileInput {
  bytes: Uint8Array;
  /** The type sniffed from the bytes (src/lib/file-types.ts), never the one the client claimed. */
  contentType: string;
}

export interface StoredFile {
  id: string;
  /** Hex. */
  sha256: string;
  size: number;
  contentType: string;
}

export interface OpenedFile extends StoredFile {
  bytes: Buffer;
}

type FileDeps = Pick<Deps, 'config' | 'log'>;
export type StoreFile = (db: DbOrTx, file: FileInput) => Promise<StoredFile>;

const objectKey = (id: string) => `files/${id}`;

/** Stores one file (use `withStoredFiles` to have a bucket's objects cleaned on failure). */
export async function storeFile(
  deps: FileDeps,
  db: DbOrTx,
  file: FileInput,
  written: string[] = [],
): Promise<StoredFile> {
  const s3 = s3FromConfig(deps.config);
  const id = randomUUID();
  const sha256 = createHash('sha256').update(file.bytes).digest();
  const bytes = Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength);
  if (s3) {
    await s3.putObject(objectKey(id), bytes, file.contentType).catch(unavailable(deps));
    written.push(objectKey(id));
  }
  await db
    .insertInto('stored_files')
    .values({
      id,
      storage: s3 ? 's3' : 'postgres',
      bytes: s3 ? null : bytes,
      object_key: s3 ? objectKey(id) : null,
      sha256,
      size: bytes.length,
      content_type: file.contentType,
    })
    .execute();
  return { id, sha256: sha256.toString('hex'), size: bytes.length, contentType: file.contentType };
}

/**
 * Runs `fn` with a `store` that keeps files; when `fn` throws (a refusal, a failed
 * transaction), the bucket objects it wrote are deleted before the error goes on.
 *
 * @example await withStoredFiles(deps, (store) => inTransaction(deps.db, async (trx) => { await store(trx, file); … }))
 */
export async function withStoredFiles<T>(deps: FileDeps, fn: (store: StoreFile) => Promise<T>): Promise<T> {
  const written: string[] = [];
  try {
    return await fn((db, file) => storeFile(deps, db, file, written));
  } catch (err) {
    await discardObjects(deps, written);
    throw err;
  }
}

async function discardObjects(deps: FileDeps, keys: string[]): Promise<void> {
  const s3 = s3FromConfig(deps.config);
  for (const key of keys) {
    await s3
      ?.deleteObject(key)
      .catch((e: Error) => deps.log.warn({ err: e.message, key }, 'could not delete an orphaned object'));
  }
}

/** A bucket that refuses or cannot be reached: logged for the operator, 503 for the user (never a 500 page). */
const unavailable =
  (deps: Pick<Deps, 'log'>) =>
  (err: unknown): never => {
    if (!(err instanceof S3Error)) throw err;
    deps.log.error({ err: err.message, code: err.code }, 'file storage (S3) failed');
    throw new AppError('storage_unavailable', 503, 'Files cannot be stored or read right now. Please try again later.');
  };

/** A stored file with its bytes, or null when there is no such file. */
export async function openFile(deps: FileDeps, db: DbOrTx, id: string): Promise<OpenedFile | null> {
  const row = await db.selectFrom('stored_files').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  let bytes = row.bytes;
  if (row.storage === 's3') {
    const s3 = s3FromConfig(deps.config);
    if (!s3)
      return unavailable(deps)(
        new S3Error('not_configured', 0, `stored file ${id} is in a bucket, but S3_* is not set`),
      );
    bytes = (await s3.getObject(row.object_key!).catch(unavailable(deps))).bytes;
    // The bucket is outside the database: what comes back must be what was stored.
    if (!createHash('sha256').update(bytes).digest().equals(row.sha256))
      return unavailable(deps)(new S3Error('digest_mismatch', 0, `object ${row.object_key} is not the file stored`));
  }
  return {
    id: row.id,
    sha256: row.sha256.toString('hex'),
    size: Number(row.size),
    contentType: row.content_type,
    bytes: bytes!,
  };
}

/** Deletes a stored file (its row, and its object when it is in a bucket). */
export async function deleteFile(deps: FileDeps, db: DbOrTx, id: string): Promise<void> {
  const row = await db.deleteFrom('stored_files').where('id', '=', id).returning('object_key').executeTakeFirst();
  if (row?.object_key) await discardObjects(deps, [row.object_key]);
}
