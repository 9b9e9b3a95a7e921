import { describe, expect, it } from 'vitest';
import { renderMarkdown, safeLocalHref } from '../../src/lib/markdown.ts';

const REL = 'rel="noopener noreferrer nofollow"';

describe('site-relative links in staff-written content (renderMarkdown localLinks)', () => {
  it('links to pages of the site', () => {
    expect(renderMarkdown('See [billing](/docs/billing/top-up?x=1&y=2#how).', { localLinks: true })).toBe(
      `<p>See <a href="/docs/billing/top-up?x=1&amp;y=2#how" ${REL}>billing</a>.</p>`,
    );
    expect(renderMarkdown('[terms](/terms)', { localLinks: true })).toContain('href="/terms"');
  });

  it('are text without the option (notes, announcements keep absolute links only)', () => {
    expect(renderMarkdown('[terms](/terms)')).toBe('<p>[terms](/terms)</p>');
  });

  it('never lead off-site or carry script', () => {
    for (const target of [
      '//evil.example/',
      '/\\evil.example/',
      '/\\/evil.example',
      '/\t/evil.example',
      'javascript:alert(1)',
      '/" onmouseover="alert(1)',
      "/x' onmouseover='alert(1)",
      '/<script>',
      'docs/relative',
      '../up',
      ' //evil.example',
    ]) {
      expect(safeLocalHref(target), target).toBeNull();
      const html = renderMarkdown(`[x](${target})`, { localLinks: true });
      expect(html, target).not.toContain('<a ');
    }
    // The option is per call: the next render without it allows none.
    renderMarkdown('[a](/a)', { localLinks: true });
    expect(renderMarkdown('[a](/a)')).not.toContain('<a ');
  });
});
