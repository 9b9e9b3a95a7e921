import type { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';

export interface Upload {
  name: string;
  bytes: Uint8Array;
  /** What the browser claims (ignored by the app). */
  type?: string;
}

/**
 * Submits a multipart form as a browser does (the CSRF token in the form's `_csrf` field, not
 * a header), with `files` in the repeatable `attachments` field.
 */
export async function postMultipart(
  ctx: TestContext,
  browser: TestBrowser,
  path: string,
  fields: Record<string, string>,
  files: Upload[] = [],
  headers: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  form.set('_csrf', browser.csrf);
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  for (const f of files)
    form.append(
      'attachments',
      new File([new Uint8Array(f.bytes)], f.name, { type: f.type ?? 'application/octet-stream' }),
    );
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await ctx.app.request(path, {
    method: 'POST',
    headers: { 'sec-fetch-site': 'same-origin', 'x-forwarded-for': '203.0.113.10', cookie, ...headers },
    body: form,
  });
  if ((res.headers.get('content-type') ?? '').includes('text/html')) browser.lastHtml = await res.clone().text();
  return res;
}

/** The attachment ids a page links to, in order. */
export const attachmentIds = (html: string) =>
  [...html.matchAll(/data-attachment="([0-9a-f-]{36})"/g)].map((m) => m[1]!);
