import { expect } from 'vitest';
import type { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';

export { png, jpeg, html, svg, pdf } from '../support/attachments-files.ts';

/** A cover image as the form sends it. */
export interface Cover {
  name: string;
  bytes: Uint8Array;
  type?: string;
}

/**
 * Submits the staff's blog post form as a browser does: multipart, the CSRF token in `_csrf`,
 * the image (if any) in `cover`.
 */
export async function postForm(
  ctx: TestContext,
  browser: TestBrowser,
  path: string,
  fields: Record<string, string>,
  cover?: Cover,
): Promise<Response> {
  const form = new FormData();
  form.set('_csrf', browser.csrf);
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  if (cover)
    form.set('cover', new File([new Uint8Array(cover.bytes)], cover.name, { type: cover.type ?? 'image/png' }));
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await ctx.app.request(path, {
    method: 'POST',
    headers: { 'sec-fetch-site': 'same-origin', 'x-forwarded-for': '203.0.113.10', cookie },
    body: form,
  });
  if ((res.headers.get('content-type') ?? '').includes('text/html')) browser.lastHtml = await res.clone().text();
  return res;
}

/** The fields of a post the form would send, with `over` on top. */
export const fields = (over: Record<string, string> = {}): Record<string, string> => ({
  title: 'New regions in Frankfurt and Tokyo',
  slug: '',
  summary: 'Two new regions, same prices.',
  body: 'We opened **two** regions.',
  categoryId: '',
  tags: '',
  coverAlt: '',
  status: 'published',
  publishedAt: '',
  ...over,
});

/** Writes a post through the staff form (303 to the list); its row. */
export async function writePost(
  ctx: TestContext,
  admin: TestBrowser,
  over: Record<string, string> = {},
  cover?: Cover,
) {
  await admin.get('/admin/content/blog/new');
  const res = await postForm(ctx, admin, '/admin/content/blog', fields(over), cover);
  expect(res.status, admin.lastHtml.slice(0, 2000)).toBe(303);
  expect(res.headers.get('location')).toBe('/admin/content/blog');
  const title = fields(over).title!;
  return ctx.db
    .selectFrom('blog_posts')
    .selectAll()
    .where('title', '=', title)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
}

/**
 * Whether `xml` is well-formed enough for a feed reader: every element closed in order, no
 * stray `<` or bare `&`. (Not a schema check.)
 */
export function wellFormed(xml: string): string | null {
  const text = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re =
    /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/g;
  for (const m of text.matchAll(re)) {
    if (m[0] === '<') return `a stray < at ${m.index}: ${text.slice(m.index, m.index + 40)}`;
    if (m[0] === '&') return `a bare & at ${m.index}: ${text.slice(m.index, m.index + 40)}`;
    const [, closing, name, , selfClosing] = m;
    if (selfClosing) continue;
    if (!closing) stack.push(name!);
    else if (stack.pop() !== name) return `</${name}> does not close the open element`;
  }
  return stack.length ? `unclosed: ${stack.join(', ')}` : null;
}
