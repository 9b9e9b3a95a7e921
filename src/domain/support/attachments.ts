import type { Config } from '../../config.ts';
import type { DbOrTx } from '../../db/index.ts';
import { checkFile, isRasterImage, safeFileName, type FileType } from '../../lib/file-types.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Deps } from '../deps.ts';
import { openFile, type OpenedFile, type StoreFile } from '../files/store.ts';

/**
 * Files attached to ticket messages (issue 15 item 6). Up to TICKET_ATTACHMENTS_PER_MESSAGE
 * (5) files of at most TICKET_ATTACHMENT_MAX_BYTES (10 MiB) each; kinds from an allow-list,
 * decided by content (src/lib/file-types.ts); the bytes go to the stored-files store
 * (PostgreSQL or a bucket) in the same transaction as the message, so a refused message keeps
 * no file. An attachment is read with its message's visibility: a customer reads those of
 * the tickets they may read, never those of internal notes; staff read all (tickets.ts,
 * staff.ts). Emails never carry them.
 */

/** A file as it came in a request. */
export interface IncomingFile {
  name: string;
  bytes: Uint8Array;
}

/** An upload that passed the checks: its safe name and sniffed type. */
export interface CheckedUpload {
  name: string;
  type: FileType;
  bytes: Uint8Array;
}

export interface Attachment {
  id: string;
  messageId: string;
  fileName: string;
  contentType: string;
  size: number;
  /** A raster image: the thread may show it inline as a preview. */
  previewable: boolean;
}

/** 10485760 → "10 MB", 1536 → "1.5 KB". */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

export function attachmentLimits(config: Config) {
  return { maxBytes: config.TICKET_ATTACHMENT_MAX_BYTES, perMessage: config.TICKET_ATTACHMENTS_PER_MESSAGE };
}

/**
 * The uploads a message may keep, or a ValidationError on `attachments` naming the first
 * problem: too many files, one too large, a kind not accepted, or a name that disagrees with
 * the content.
 */
export function checkUploads(config: Config, files: readonly IncomingFile[] = []): CheckedUpload[] {
  const { maxBytes, perMessage } = attachmentLimits(config);
  const refuse = (message: string) => new ValidationError({ attachments: message }, message);
  if (files.length > perMessage)
    throw refuse(`Attach at most ${perMessage} files to one message (you chose ${files.length}).`);
  return files.map((f) => {
    if (f.bytes.length > maxBytes)
      throw refuse(
        `${safeFileName(f.name)} is ${formatBytes(f.bytes.length)}; a file may be at most ${formatBytes(maxBytes)}.`,
      );
    const check = checkFile(f.name, f.bytes);
    if (!check.ok) throw refuse(check.message);
    return { name: check.name, type: check.type, bytes: f.bytes };
  });
}

/** Stores `uploads` and links them to the message (inside the message's transaction). */
export async function attachToMessage(
  trx: DbOrTx,
  store: StoreFile,
  message: { ticketId: string; messageId: string },
  uploads: readonly CheckedUpload[],
): Promise<void> {
  for (const [position, up] of uploads.entries()) {
    const file = await store(trx, { bytes: up.bytes, contentType: up.type });
    await trx
      .insertInto('ticket_attachments')
      .values({
        ticket_id: message.ticketId,
        message_id: message.messageId,
        file_id: file.id,
        position,
        file_name: up.name,
        content_type: up.type,
        size: file.size,
      })
      .execute();
  }
}

const selectAttachments = (db: DbOrTx) =>
  db
    .selectFrom('ticket_attachments as a')
    .select([
      'a.id',
      'a.message_id as messageId',
      'a.file_name as fileName',
      'a.content_type as contentType',
      'a.size',
      'a.file_id as fileId',
    ]);

const present = (r: {
  id: string;
  messageId: string;
  fileName: string;
  contentType: string;
  size: bigint;
}): Attachment => ({
  id: r.id,
  messageId: r.messageId,
  fileName: r.fileName,
  contentType: r.contentType,
  size: Number(r.size),
  previewable: isRasterImage(r.contentType),
});

/** The attachments of a ticket's messages, by message id, in the order they were attached. */
export async function attachmentsOf(db: DbOrTx, ticketId: string): Promise<Map<string, Attachment[]>> {
  const rows = await selectAttachments(db)
    .where('a.ticket_id', '=', ticketId)
    .orderBy('a.message_id')
    .orderBy('a.position')
    .execute();
  const byMessage = new Map<string, Attachment[]>();
  for (const r of rows) byMessage.set(r.messageId, [...(byMessage.get(r.messageId) ?? []), present(r)]);
  return byMessage;
}

/**
 * One attachment of the ticket `ticketId` (the caller has checked the ticket may be read) with
 * its bytes; with `internal: false`, those of internal notes are not found. 404 otherwise.
 */
export async function attachmentOfTicket(
  deps: Pick<Deps, 'db' | 'config' | 'log'>,
  ticketId: string,
  attachmentId: string,
  opts: { internal: boolean },
): Promise<{ attachment: Attachment; file: OpenedFile }> {
  const row = isUuid(attachmentId)
    ? await selectAttachments(deps.db)
        .innerJoin('ticket_messages as m', 'm.id', 'a.message_id')
        .where('a.id', '=', attachmentId)
        .where('a.ticket_id', '=', ticketId)
        .$if(!opts.internal, (q) => q.where('m.internal', '=', false))
        .executeTakeFirst()
    : undefined;
  const file = row ? await openFile(deps, deps.db, row.fileId) : null;
  if (!row || !file) throw new NotFoundError('No such attachment.');
  return { attachment: present(row), file };
}
