import type { Context } from 'hono';
import type { Config } from '../config.ts';
import { attachmentLimits, formatBytes, type Attachment, type IncomingFile } from '../domain/support/attachments.ts';
import type { OpenedFile } from '../domain/files/store.ts';
import { ACCEPT, ALLOWED_KINDS, contentDisposition, isRasterImage } from '../lib/file-types.ts';
import type { LargerBody } from './middleware/body-limit.ts';

/** The form field (repeatable) upload forms and the API send files in. */
export const ATTACHMENTS_FIELD = 'attachments';

/**
 * The HTML app's paths whose requests may carry files: a new ticket, a customer's reply, a staff
 * reply, and the staff's content and branding screens (uploads of documents, covers, logos).
 */
export const UPLOAD_PATHS = [
  /^\/support\/?$/,
  /^\/support\/[^/]+\/replies$/,
  /^\/admin\/tickets\/[^/]+\/replies$/,
  /^\/admin\/content\//,
  /^\/admin\/platform-settings(\/|$)/,
];

/** Room for the message and the multipart framing beside the files. */
const UPLOAD_MARGIN = 512 * 1024;

/**
 * The body limit of a request that may carry a message's files: every file at its largest,
 * plus a margin, on the upload paths only and only for a signed-in caller (`signedIn`), so an
 * anonymous request never gets megabytes buffered (src/app.ts, src/web/api/v1/index.ts).
 */
export function uploadBodyLimit(config: Config, path: RegExp, signedIn: (c: Context) => boolean): LargerBody {
  const maxBytes = config.TICKET_ATTACHMENTS_PER_MESSAGE * config.TICKET_ATTACHMENT_MAX_BYTES + UPLOAD_MARGIN;
  return { path, maxBytes, when: signedIn };
}

/** What an upload form says and suggests: how many files, how large, which kinds (`accept`). */
export function uploadHints(config: Config) {
  const { maxBytes, perMessage } = attachmentLimits(config);
  return { accept: ACCEPT, perMessage, maxBytes, maxSize: formatBytes(maxBytes), kinds: ALLOWED_KINDS };
}

/**
 * The files of a multipart form's `attachments` field, read into memory (the body limit
 * bounds them); [] for other bodies. A file input left empty sends a nameless empty part:
 * not a file.
 */
export async function formFiles(c: Context, key = ATTACHMENTS_FIELD): Promise<IncomingFile[]> {
  if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data')) return [];
  const value = (await c.req.parseBody({ all: true }))[key];
  const parts = (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
    (v): v is File => typeof v === 'object' && v !== null && 'arrayBuffer' in v && !(v.name === '' && v.size === 0),
  );
  return Promise.all(parts.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

/**
 * Answers an attachment's bytes: always the type sniffed when it was stored (never the one it
 * was uploaded with), `nosniff`, a sandboxing Content-Security-Policy, no caching by shared
 * caches, and `Content-Disposition: attachment` with its safe name, except `preview` of a raster
 * image, which is `inline` so a thread can show it in an <img>.
 */
export function sendAttachment(
  c: Context,
  found: { attachment: Attachment; file: OpenedFile },
  opts: { preview: boolean },
): Response {
  const { attachment, file } = found;
  const inline = opts.preview && isRasterImage(file.contentType);
  const type = file.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : file.contentType;
  return c.body(new Uint8Array(file.bytes), 200, {
    'Content-Type': type,
    'Content-Length': String(file.bytes.length),
    'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', attachment.fileName),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox; frame-ancestors 'none'",
    'Cache-Control': inline ? 'private, max-age=300, no-transform' : 'private, no-store, no-transform',
  });
}
