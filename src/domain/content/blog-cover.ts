import type { DbOrTx } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { checkFile, isRasterImage, safeFileName, type FileType } from '../../lib/file-types.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Deps } from '../deps.ts';
import { openFile, type OpenedFile } from '../files/store.ts';
import { formatBytes } from '../support/attachments.ts';

/**
 * Blog cover images: one raster image (PNG, JPEG, GIF or WebP, decided by its bytes, never
 * SVG) per post, kept in the stored-files store (PostgreSQL or a bucket, src/domain/files). A
 * published post's cover is public at /blog/images/<file id>; a draft's only for staff.
 */

export const COVER_MAX_BYTES = 5 * 1024 * 1024;

/** A file as it came in a request. */
export interface CoverUpload {
  name: string;
  bytes: Uint8Array;
}

/** The upload as a cover image, or a ValidationError on `cover` saying what is wrong. */
export function checkCover(file: CoverUpload): { type: FileType; bytes: Uint8Array } {
  const name = safeFileName(file.name);
  const refuse = (message: string) => new ValidationError({ cover: message }, message);
  if (file.bytes.length > COVER_MAX_BYTES)
    throw refuse(
      `${name} is ${formatBytes(file.bytes.length)}; a cover image may be at most ${formatBytes(COVER_MAX_BYTES)}.`,
    );
  const check = checkFile(file.name, file.bytes);
  if (!check.ok) throw refuse(`${check.message} The cover must be a PNG, JPEG, GIF or WebP image.`);
  if (!isRasterImage(check.type))
    throw refuse(`${name} is not an image. The cover must be a PNG, JPEG, GIF or WebP image.`);
  return { type: check.type, bytes: file.bytes };
}

/**
 * A cover image's bytes when `fileId` is the cover of a post the public may read now
 * (published, its time come), or of any post for staff (`anyPost`); null otherwise.
 */
export async function openCover(
  deps: Pick<Deps, 'config' | 'log'>,
  db: DbOrTx,
  fileId: string,
  opts: { now: Date; anyPost?: boolean },
): Promise<OpenedFile | null> {
  if (!isUuid(fileId)) return null;
  let q = db.selectFrom('blog_posts').select('cover_file_id').where('cover_file_id', '=', fileId);
  if (!opts.anyPost) q = q.where('status', '=', 'published').where('published_at', '<=', opts.now);
  if (!(await q.executeTakeFirst())) return null;
  return openFile(deps, db, fileId);
}
