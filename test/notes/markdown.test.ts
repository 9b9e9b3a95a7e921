import { describe, expect, it } from 'vitest';
import { renderMarkdown, safeHref } from '../../src/lib/markdown.ts';

const REL = 'rel="noopener noreferrer nofollow"';

/** Every tag the renderer may emit, with the only attributes it may carry. */
const ALLOWED =
  /^<\/?(p|br|h3|h4|h5|h6|strong|em|code|pre|ul|ol|li|a)( href="[^"]*" rel="noopener noreferrer nofollow"| start="\d+")?>$/;
function tagsOf(html: string): string[] {
  return html.match(/<[^>]*>/g) ?? [];
}
function expectSafe(html: string) {
  for (const tag of tagsOf(html)) expect(tag).toMatch(ALLOWED);
  for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^(https?:\/\/|mailto:)/i);
}

describe('the Markdown subset', () => {
  it('renders paragraphs, line breaks, headings, emphasis, inline code, code blocks and lists', () => {
    const html = renderMarkdown(
      [
        '# Runbook',
        '',
        'Restart **nginx** with `systemctl restart nginx`,',
        'then *check* the _logs_.',
        '',
        '- one',
        '- two',
        '',
        '3. third',
        '4. fourth',
        '',
        '```',
        'if (a < b) { echo "<b>"; }',
        '```',
        '###### deep',
      ].join('\n'),
    );
    expect(html).toBe(
      [
        '<h3>Runbook</h3>',
        '<p>Restart <strong>nginx</strong> with <code>systemctl restart nginx</code>,<br>\nthen <em>check</em> the <em>logs</em>.</p>',
        '<ul><li>one</li><li>two</li></ul>',
        '<ol start="3"><li>third</li><li>fourth</li></ol>',
        '<pre><code>if (a &lt; b) { echo &quot;&lt;b&gt;&quot;; }</code></pre>',
        '<h6>deep</h6>',
      ].join('\n'),
    );
  });

  it('moves headings down one level for a whole page of content, and back to two after it', () => {
    expect(renderMarkdown('# Title\n\n## Part', { headingShift: 1 })).toBe('<h2>Title</h2>\n<h3>Part</h3>');
    expect(renderMarkdown('# Title')).toBe('<h3>Title</h3>');
  });

  it('renders safe links with rel and leaves snake_case and lone stars alone', () => {
    expect(renderMarkdown('[docs](https://example.com/a?b=1&c=2) and [mail](mailto:ops@example.com)')).toBe(
      `<p><a href="https://example.com/a?b=1&amp;c=2" ${REL}>docs</a> and <a href="mailto:ops@example.com" ${REL}>mail</a></p>`,
    );
    expect(renderMarkdown('my_var_name * 2 * 3 \\*not em\\*')).toBe('<p>my_var_name * 2 * 3 *not em*</p>');
    expect(renderMarkdown('***both*** and **nested *em* here**')).toBe(
      '<p><strong><em>both</em></strong> and <strong>nested <em>em</em> here</strong></p>',
    );
  });

  it('escapes raw HTML and script everywhere', () => {
    const payloads = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '# <script>alert(1)</script>',
      '- <svg onload=alert(1)>',
      '**<iframe src="javascript:alert(1)">**',
      '`<script>`',
      '```\n</code></pre><script>alert(1)</script>\n```',
      '<a href="javascript:alert(1)">x</a>',
      '&lt;script&gt; already escaped',
    ];
    for (const p of payloads) {
      const html = renderMarkdown(p);
      expectSafe(html);
      expect(html).not.toMatch(/<(script|img|svg|iframe)/i);
    }
    expect(renderMarkdown('<script>alert(1)</script>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(renderMarkdown('&lt;b&gt;')).toBe('<p>&amp;lt;b&amp;gt;</p>');
  });

  it('keeps javascript:, data:, vbscript: and relative links as text', () => {
    const hrefs = [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'vbscript:msgbox(1)',
      '/relative',
      '//evil.example/x',
      'https:evil',
      'http://a b',
    ];
    for (const h of hrefs) {
      const html = renderMarkdown(`[click](${h})`);
      expect(html).not.toContain('<a ');
      expectSafe(html);
      expect(safeHref(h)).toBeNull();
    }
    expect(renderMarkdown('[x](javascript:alert(1))')).toBe('<p>[x](javascript:alert(1))</p>');
  });

  it('cannot break out of an attribute or nest a link in a link', () => {
    const quote = renderMarkdown('[x](https://example.com/"onmouseover="alert(1))');
    expect(quote).not.toContain('onmouseover="');
    expectSafe(quote);
    const apostrophe = renderMarkdown("[x](https://example.com/'onmouseover='alert(1))");
    expectSafe(apostrophe);
    expect(apostrophe).not.toContain("onmouseover='");
    const nested = renderMarkdown('[a [b](https://b.example) c](https://a.example)');
    expect(nested.match(/<a /g)?.length ?? 0).toBeLessThanOrEqual(1);
    expectSafe(nested);
    const emphasised = renderMarkdown('[**bold <b>x</b>**](https://example.com)');
    expect(emphasised).toBe(
      `<p><a href="https://example.com" ${REL}><strong>bold &lt;b&gt;x&lt;/b&gt;</strong></a></p>`,
    );
  });

  it('survives deep nesting and long inputs quickly, and always balances its tags', () => {
    const deep = '*_'.repeat(500) + 'x' + '_*'.repeat(500);
    const started = Date.now();
    const html = renderMarkdown(deep);
    expectSafe(html);
    let depth = 0;
    let deepest = 0;
    for (const tag of tagsOf(html)) {
      if (/^<(em|strong)>$/.test(tag)) deepest = Math.max(deepest, ++depth);
      if (/^<\/(em|strong)>$/.test(tag)) depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    expect(deepest).toBeLessThanOrEqual(4);
    const nestedDeep = renderMarkdown('**'.repeat(50) + 'x' + '**'.repeat(50));
    expectSafe(nestedDeep);
    renderMarkdown('**a'.repeat(3_300));
    renderMarkdown('[x]('.repeat(2_500));
    renderMarkdown('`'.repeat(10_000));
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
