/**
 * What an uploaded file is, decided by its bytes, never by its name or the type the browser
 * claimed: an allow-list of raster images (PNG, JPEG, GIF, WebP), PDF, plain text (logs
 * included) and ZIP. The name's extension must agree with what the bytes are, so `x.pdf`
 * holding HTML is refused. Text must be valid UTF-8 without NULs and must not look like markup
 * (HTML, SVG, XML): those can run script when a browser is talked into rendering them.
 */

export const FILE_TYPES = {
  'image/png': { label: 'PNG image', extensions: ['png'], raster: true },
  'image/jpeg': { label: 'JPEG image', extensions: ['jpg', 'jpeg', 'jfif'], raster: true },
  'image/gif': { label: 'GIF image', extensions: ['gif'], raster: true },
  'image/webp': { label: 'WebP image', extensions: ['webp'], raster: true },
  'application/pdf': { label: 'PDF', extensions: ['pdf'], raster: false },
  'text/plain': {
    label: 'text file',
    extensions: ['txt', 'log', 'text', 'csv', 'json', 'md', 'conf', 'cfg', 'ini', 'yaml', 'yml', 'out', 'err'],
    raster: false,
  },
  'application/zip': { label: 'ZIP archive', extensions: ['zip'], raster: false },
} as const;

export type FileType = keyof typeof FILE_TYPES;

/** Said when a file is not one of the allowed kinds. */
export const ALLOWED_KINDS = 'images (PNG, JPEG, GIF, WebP), PDF, text or log files, and ZIP archives';

/** The extensions an upload form may suggest (`accept`), e.g. ".png,.jpg,…". */
export const ACCEPT = Object.values(FILE_TYPES)
  .flatMap((t) => t.extensions.map((e) => `.${e}`))
  .join(',');

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((ch) => ch.charCodeAt(0));

/** Markup a browser could render as a document (and run script in). Checked case-insensitively. */
const MARKUP =
  /<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<script[\s>/]|<svg[\s>/]|<\?xml|<iframe[\s>/]|<object[\s>/]|<embed[\s>/]|<meta[\s>/]|<x:script|<xsl:/i;

/** The type the bytes are, or null when they are none of the allowed kinds. */
export function sniff(bytes: Uint8Array): FileType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(bytes, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06]))
    return 'application/zip';
  return isPlainText(bytes) ? 'text/plain' : null;
}

/** Valid UTF-8, no NUL or other control characters than tab, newlines, form feed and escape (log colours), and no markup. */
export function isPlainText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]/.test(text)) return false;
  return !MARKUP.test(text);
}

/** The lower-cased extension of a file name, without the dot ('' when it has none). */
export function extensionOf(name: string): string {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

export type FileCheck = { ok: true; type: FileType; name: string } | { ok: false; message: string };

/**
 * Whether an upload may be kept: its bytes are an allowed kind and its name's extension is one
 * of that kind's (a text file may also have no extension: `dmesg`). Answers the safe name.
 */
export function checkFile(name: string, bytes: Uint8Array): FileCheck {
  const safe = safeFileName(name);
  if (bytes.length === 0) return { ok: false, message: `${safe} is empty.` };
  const type = sniff(bytes);
  if (!type) return { ok: false, message: `${safe} is not a kind of file we accept: ${ALLOWED_KINDS}.` };
  const ext = extensionOf(safe);
  const kind = FILE_TYPES[type];
  const agrees = (kind.extensions as readonly string[]).includes(ext) || (type === 'text/plain' && ext === '');
  if (!agrees)
    return {
      ok: false,
      message: `${safe} is named like ${ext ? `a .${ext} file` : 'a file without a type'} but its content is a ${kind.label}; rename it to .${kind.extensions[0]} or send a different file.`,
    };
  return { ok: true, type, name: safe };
}

const MAX_NAME = 120;

/**
 * A file name safe to store, show and send in a header: the last path segment only, Unicode
 * NFC, without control or format characters (bidi overrides), quotes or characters file
 * systems refuse, spaces collapsed, no leading dots, at most 120 characters (the extension
 * kept); "file" when nothing is left.
 */
export function safeFileName(raw: string): string {
  let name = (raw.split(/[/\\]/).pop() ?? '').normalize('NFC');
  name = name
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/["'`<>:*?|;%]/g, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if ([...name].length > MAX_NAME) {
    const ext = extensionOf(name);
    const chars = [...name.slice(0, name.length - (ext ? ext.length + 1 : 0))];
    name = chars.slice(0, MAX_NAME - (ext ? ext.length + 1 : 0)).join('') + (ext ? `.${ext}` : '');
  }
  return name || 'file';
}

/**
 * A Content-Disposition header for `name` (already safe): an ASCII `filename` for old clients
 * and, when the name is not plain ASCII, RFC 5987's `filename*=UTF-8''…` beside it.
 */
export function contentDisposition(disposition: 'attachment' | 'inline', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const plain = `${disposition}; filename="${fallback}"`;
  if (fallback === name) return plain;
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${plain}; filename*=UTF-8''${encoded}`;
}

/** Whether browsers may show files of this type inline as an image (raster only, never SVG). */
export function isRasterImage(type: string): boolean {
  return type in FILE_TYPES && FILE_TYPES[type as FileType].raster;
}
