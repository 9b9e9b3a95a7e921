import { Eta } from 'eta';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReference, type OpenApiDocument } from '../../src/web/api-docs/reference.ts';
import { ROOT_DIR } from '../../src/web/assets.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';

/**
 * Issue 16 item 12: the API reference at /api-docs, rendered from the app's own OpenAPI
 * document: every operation with its anchor and curl example, schemas as field tables, error
 * codes, nothing of the document able to run script, and no inline script on the page.
 */

let ctx: TestContext;
let doc: OpenApiDocument;
let html: string;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL: 'https://panel.example.test' });
  doc = (await (await ctx.app.request('/api/v1/openapi.json')).json()) as OpenApiDocument;
  const res = await ctx.app.request('/api-docs');
  expect(res.status).toBe(200);
  html = await res.text();
});
afterAll(() => ctx?.close());

describe('the API reference', () => {
  it('is a public page that lists every operation of the OpenAPI document, each with its anchor and a curl example', () => {
    const operations = Object.entries(doc.paths).flatMap(([p, item]) =>
      METHODS.filter((m) => m in item).map((m) => ({ method: m.toUpperCase(), path: p, op: item[m]! })),
    );
    expect(operations.length).toBeGreaterThan(100);
    const curls = [...html.matchAll(/<code id="(op-[^"]+)-curl" data-curl>([^<]*)<\/code>/g)].map((m) => ({
      anchor: m[1],
      curl: decode(m[2]!),
    }));
    expect(curls).toHaveLength(operations.length);
    for (const { method, path: p, op } of operations) {
      const anchor = `op-${op.operationId}`;
      expect(html, `${method} ${p}`).toContain(`<article id="${anchor}"`);
      // Under its tag's heading.
      const at = html.indexOf(`<article id="${anchor}"`);
      const sections = [...html.slice(0, at).matchAll(/<section id="(tag-[^"]+)"/g)];
      expect(sections.at(-1)?.[1]).toBe(`tag-${op.tags![0]}`);
      const curl = curls.find((c) => c.anchor === anchor)?.curl;
      expect(curl, `${method} ${p}`).toBeDefined();
      const url = `https://panel.example.test/api/v1${p.replace(/\{([^}]+)\}/g, (_, n: string) => `\${${n.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}}`)}`;
      expect(curl).toContain(url);
      if (method !== 'GET') expect(curl).toMatch(new RegExp(`^curl -X ${method} `));
      if (op.security?.length) expect(curl).toContain('-H "Authorization: Bearer $SKYPANEL_API_KEY"');
      else expect(curl).not.toContain('Authorization');
    }
  });

  it('shows a request body as a table of its fields, with types, required marks, limits and examples, and an example body in the curl', () => {
    const create = between(html, '<article id="op-createInstance"', '</article>');
    expect(create).toContain('Request body · InstanceCreate');
    expect(create).toMatch(/<span class="">label<\/span> <span class="badge badge-warning">required<\/span>/);
    expect(create).toContain('<code>&quot;web-1&quot;</code>');
    expect(create).toContain('ssh_key_ids');
    expect(create).toContain('array of string');
    expect(create).toContain('idempotency-key (header)');
    const curl = decode(between(create, 'data-curl>', '</code>').slice('data-curl>'.length, -'</code>'.length));
    expect(curl).toContain(`-H 'Content-Type: application/json'`);
    expect(JSON.parse(/-d '(.*)'$/m.exec(curl)![1]!)).toMatchObject({
      label: 'web-1',
      region: 'us-east',
      image: 'debian12',
    });
  });

  it('shows nested response fields (the items of a list) with enums, and every error status the operation may answer', () => {
    const list = between(html, '<article id="op-listInstances"', '</article>');
    expect(list).toContain('data[].id');
    expect(list).toMatch(/data\[\]\.status<\/span>/);
    expect(list).toContain('<code>provisioning</code>');
    expect(list).toContain('next_cursor');
    expect(list).toContain('string | null');
    expect(list).toContain('limit (query)');
    expect(list).toContain('1–100');
    for (const status of ['401', '403', '404', '422', '429'])
      expect(list).toContain(`<span class="badge badge-danger">${status}</span>`);
    expect(html).toContain('id="errors"');
    expect(html).toContain('error.code');
  });

  it('marks the operations that need no credentials', () => {
    const op = doc.paths['/auth/register']!.post!;
    expect(op.security ?? []).toEqual([]);
    const article = between(html, `<article id="op-${op.operationId}"`, '</article>');
    expect(article).toContain('no authentication.');
    expect(article).toContain('data-auth="no"');
    const list = between(html, '<article id="op-listInstances"', '</article>');
    expect(list).toContain('bearer API key or access token.');
  });

  it('has no inline script of its own: its behaviour is a file loaded with the request’s nonce, and the reference has no script, handler or style attribute', async () => {
    const res = await ctx.app.request('/api-docs');
    const nonce = /'nonce-([^']+)'/.exec(res.headers.get('content-security-policy')!)![1];
    const page = await res.text();
    const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    for (const [, attrs] of scripts) expect(attrs).toContain(`nonce="${nonce}"`);
    expect(scripts.filter((s) => s[2]!.trim() !== '')).toHaveLength(1); // the layout's theme, applied before paint
    expect(scripts.some((s) => /src="\/static\/build\/js\/api-docs\.[0-9a-f]+\.js"/.test(s[1]!))).toBe(true);
    const reference = between(page, '<div class="lg:grid', '<script nonce').slice(0, -'<script nonce'.length);
    expect(reference.length).toBeGreaterThan(100_000);
    expect(reference).not.toMatch(/<script|\son[a-z]+=|\sstyle=|javascript:/i);
  });

  it('is rendered once per process: a second reader gets the same reference, with a new nonce', async () => {
    const again = await (await ctx.app.request('/api-docs')).text();
    const body = (s: string) => between(s, '<div class="lg:grid', '<script nonce');
    expect(body(again)).toBe(body(html));
    expect(again).not.toBe(html);
  });

  it('is linked from the public footer', async () => {
    const home = await (await ctx.app.request('/')).text();
    expect(home).toContain('<a class="hover:underline" href="/api-docs">API reference</a>');
  });
});

describe('text from the document', () => {
  const eta = new Eta({ views: path.join(ROOT_DIR, 'views'), cache: false, autoEscape: true, autoTrim: false });
  const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const crafted: OpenApiDocument = {
    info: { title: `Evil ${evil}`, version: '1' },
    servers: [{ url: 'https://x.test/api/v1' }],
    paths: {
      "/things/{id}'": {
        post: {
          tags: [`tag ${evil}`],
          operationId: 'evil"op',
          summary: `Summary ${evil} with \`<b>code</b>\``,
          description: `Description ${evil}`,
          security: [{ bearerAuth: [] }],
          parameters: [
            { name: `p${evil}`, in: 'query', required: true, description: evil, schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { [`f${evil}`]: { type: 'string', description: evil, example: evil, enum: [evil] } },
                  required: [`f${evil}`],
                },
              },
            },
          },
          responses: { '200': { description: evil }, '422': { description: evil } },
        },
      },
    },
  };

  it('is escaped wherever it appears: a description with <script> renders inert', () => {
    const out = eta.render('public/api-docs/reference', { ref: buildReference(crafted), ctx: {} });
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<b>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('<code>&lt;b&gt;code&lt;/b&gt;</code>');
  });
});

function between(s: string, start: string, end: string): string {
  const i = s.indexOf(start);
  if (i < 0) return '';
  const j = s.indexOf(end, i + start.length);
  return s.slice(i, j < 0 ? undefined : j + end.length);
}
