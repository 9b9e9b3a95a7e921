import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fastEta } from '../../src/web/render.ts';

// The views' own indentation and blank lines are not sent (src/web/render.ts,
// compactTemplateText); text that is shown as written, and everything a view prints, is.
const dir = path.join(import.meta.dirname, '../../.tmp', `template-text-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function render(name: string, template: string, data: object = {}): string {
  writeFileSync(path.join(dir, `${name}.eta`), template);
  return fastEta(dir).render(name, data);
}

describe('template text', () => {
  it('loses the indentation and blank lines between its lines, keeping one line break', () => {
    const html = render(
      'indented',
      '<div>\n    <p class="a\n       b">Hi <%= it.name %>\n        </p>\n\n\n  <% if (it.on) { %>\n      <b>on</b>\n  <% } %>\n</div>\n',
      { name: 'Ada', on: true },
    );
    expect(html).toBe('<div>\n<p class="a\nb">Hi Ada\n</p>\n\n<b>on</b>\n\n</div>\n');
  });

  it('leaves <pre>, <textarea>, <script> and <style> as written, across the tags inside them', () => {
    const template = [
      '  <pre>\n  keep   this\n      <%= it.v %>\n    and this\n</pre>',
      '  <textarea name="t">\n   line\n</textarea>',
      '  <script nonce="n">\n  if (a) {\n    b();\n  }\n</script>',
      '  <STYLE>\n  p {\n    color: red;\n  }\n</STYLE>',
      '  <p>\n    after\n  </p>',
    ].join('\n');
    expect(render('verbatim', template, { v: 'x' })).toBe(
      [
        '  <pre>\n  keep   this\n      x\n    and this\n</pre>',
        '<textarea name="t">\n   line\n</textarea>',
        '<script nonce="n">\n  if (a) {\n    b();\n  }\n</script>',
        '<STYLE>\n  p {\n    color: red;\n  }\n</STYLE>',
        '<p>\nafter\n</p>',
      ].join('\n'),
    );
  });

  it('prints values exactly as given, white space and backslashes included', () => {
    const html = render('values', '<p>\n    <%= it.text %>\n    C:\\new \\\\n\n</p>', { text: 'one  \n    two\\n' });
    expect(html).toBe('<p>\none  \n    two\\n\nC:\\new \\\\n\n</p>');
  });
});
