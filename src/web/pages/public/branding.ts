import { Hono, type Context } from 'hono';
import { openFile } from '../../../domain/files/store.ts';
import { siteSettings } from '../../../domain/settings/site.ts';
import { isRasterImage } from '../../../lib/file-types.ts';
import type { AppDeps } from '../../context.ts';

/**
 * The brand's images (Platform settings → Branding): `GET /branding/logo` and
 * `GET /branding/favicon`, public (every layout shows them, signed in or not). Answered with
 * the type sniffed when the image was stored (raster images only), `nosniff`, a sandboxing
 * policy, and an ETag (its SHA-256): cacheable by browsers and CDNs for five minutes, and for a
 * year when asked with the `?v=` the layouts add (it names the file, so a new logo is a new
 * URL). 404 when none is set.
 */
export function brandingRoutes(deps: AppDeps) {
  const app = new Hono();

  const serve = (which: 'logo' | 'favicon') => async (c: Context) => {
    const s = await siteSettings(deps);
    const id = which === 'logo' ? s.logoFileId : s.faviconFileId;
    const file = id ? await openFile(deps, deps.db, id) : null;
    if (!id || !file || !isRasterImage(file.contentType))
      return c.text('Not found', 404, { 'Cache-Control': 'no-store' });
    const etag = `"${file.sha256}"`;
    const v = c.req.query('v');
    const headers: Record<string, string> = {
      'Content-Type': file.contentType,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox; frame-ancestors 'none'",
      'Content-Disposition': 'inline',
      'Cross-Origin-Resource-Policy': 'same-origin',
      ETag: etag,
      'Cache-Control':
        v && v === id.slice(0, 8) ? 'public, max-age=31536000, immutable' : 'public, max-age=300, must-revalidate',
    };
    const match = c.req.header('if-none-match');
    if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return c.body(null, 304, headers);
    return c.body(new Uint8Array(file.bytes), 200, { ...headers, 'Content-Length': String(file.bytes.length) });
  };

  app.get('/branding/logo', serve('logo'));
  app.get('/branding/favicon', serve('favicon'));
  return app;
}
