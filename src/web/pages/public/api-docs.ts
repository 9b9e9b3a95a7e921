import { Hono } from 'hono';
import { buildReference, type OpenApiDocument } from '../../api-docs/reference.ts';
import { openApiDocument } from '../../api/v1/index.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

/**
 * The API reference, /api-docs: public, server-rendered from the app's own OpenAPI document
 * (src/web/api-docs/reference.ts). The document only changes on deploy, so the reference's
 * HTML is rendered once per process, on the first request, and kept; each request wraps it in
 * the layout (its nonce and CSRF token are per request) and adds the page's script
 * (static/js/api-docs.js: copy buttons and the "try it" forms, which call the API from the
 * reader's browser with the key they typed in, never through this server).
 */
export function apiDocsPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  let body: string | null = null;

  app.get('/api-docs', (c) => {
    body ??= view.renderString(
      c,
      'public/api-docs/reference',
      { ref: buildReference(openApiDocument(deps) as unknown as OpenApiDocument) },
      { layout: 'bare' },
    );
    return view.page(c, 'public/api-docs/index', { body }, { title: 'API reference' });
  });
  return app;
}
