import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const VIEWS = path.join(import.meta.dirname, '../../views');

function etaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? etaFiles(path.join(dir, e.name)) : e.name.endsWith('.eta') ? [path.join(dir, e.name)] : [],
  );
}

// `<%= cond ? ' aria-invalid="true"' : '' %>` escapes its quotes and prints
// aria-invalid=&quot;true&quot;: the attribute silently never exists. A literal attribute is
// printed raw (`<%~`), or written inside `<% if (…) { %>`.
describe('views', () => {
  it('never print an attribute through an escaping tag', () => {
    const escapedAttribute = /<%=\s*[^%]*?\?\s*'[^'<>]*"[^'<>]*'\s*:\s*'[^'<>]*'\s*%>/g;
    const found = etaFiles(VIEWS).flatMap((file) =>
      (readFileSync(file, 'utf8').match(escapedAttribute) ?? []).map((m) => `${path.relative(VIEWS, file)}: ${m}`),
    );
    expect(found).toEqual([]);
  });
});
