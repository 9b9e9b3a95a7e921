import type { MiddlewareHandler } from 'hono';
import { getMimeType } from 'hono/utils/mime';
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { acceptedEncodings, compressible, type Encoding } from './compress.ts';

/** Where `npm run build` writes each file's precompressed copies (scripts/build-assets.ts). Keep the two in step. */
const SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

async function fileStats(file: string): Promise<Stats | null> {
  try {
    const s = await stat(file);
    return s.isFile() ? s : null;
  } catch {
    return null;
  }
}

/**
 * Serves the files under `root` at the request's path, choosing the `.br` or `.gz` copy the
 * build wrote beside a text file when `Accept-Encoding` accepts it (Content-Type stays the
 * original's, `Vary: Accept-Encoding`). Files the build did not compress are served as they
 * are. A Range header gets the whole file (allowed, and no asset is big enough to need ranges).
 * `cacheControl` is set on every file found (built files carry a hash or version in their name).
 *
 * @example app.use('/static/build/*', staticFiles({ root: ROOT_DIR, cacheControl: 'public, max-age=31536000, immutable' }))
 */
export function staticFiles(opts: { root: string; cacheControl?: string }): MiddlewareHandler {
  const root = path.resolve(opts.root);
  return async function staticFilesMiddleware(c, next) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const urlPath = c.req.path;
    // Plain names only: no dot segments, escapes, backslashes or doubled slashes.
    if (/%|\\|\/\/|(^|\/)\.\.?(\/|$)/.test(urlPath)) return next();
    const original = path.join(root, urlPath);
    if (!original.startsWith(root + path.sep)) return next();
    const found = await fileStats(original);
    if (!found) return next();

    const type = getMimeType(original) ?? 'application/octet-stream';
    let file = original;
    let stats = found;
    let encoding: Encoding | null = null;
    if (compressible(type)) {
      c.header('Vary', 'Accept-Encoding', { append: true });
      for (const candidate of acceptedEncodings(c.req.header('Accept-Encoding'))) {
        const s = await fileStats(original + SUFFIX[candidate]);
        if (s) {
          [file, stats, encoding] = [original + SUFFIX[candidate], s, candidate];
          break;
        }
      }
    }
    c.header('Content-Type', type);
    if (encoding) c.header('Content-Encoding', encoding);
    c.header('Content-Length', String(stats.size));
    c.header('Last-Modified', found.mtime.toUTCString());
    if (opts.cacheControl) c.header('Cache-Control', opts.cacheControl);
    if (c.req.method === 'HEAD') return c.body(null, 200);
    return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, 200);
  };
}
