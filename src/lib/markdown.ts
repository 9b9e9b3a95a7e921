/**
 * A small, safe Markdown subset rendered to HTML on the server (notes). Everything the subset
 * does not recognise is text, HTML-escaped: raw HTML never passes through.
 *
 * Blocks: paragraphs (blank lines separate them; a line break inside one is kept as <br>),
 * headings `#`…`######` (shifted down two levels, h3–h6, to sit under the page's own headings),
 * fenced code blocks (``` … ```), unordered lists (`-`, `*`, `+`) and ordered lists (`1.`, `1)`),
 * one level deep. Inline: `code`, **strong** / __strong__, *emphasis* / _emphasis_ (nested up
 * to a few levels), backslash escapes, and links `[text](url)` whose url is http, https or
 * mailto only (anything else, javascript: and data: included, stays literal text); links get
 * rel="noopener noreferrer nofollow". Runs in time linear-ish in the input (no regex backtracking
 * on user text beyond simple line tests).
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const MAX_DEPTH = 4;
const LINK_REL = 'noopener noreferrer nofollow';

/** The href to use for `raw`, or null when it is not an absolute http(s) or mailto URL. */
export function safeHref(raw: string): string | null {
  const url = raw.trim();
  if (!url || /[\s\u0000-\u001f\u007f<>"'`]/.test(url)) return null;
  if (!/^(https?:\/\/|mailto:)/i.test(url)) return null;
  try {
    const parsed = new URL(url);
    if (!['http:', 'https:', 'mailto:'].includes(parsed.protocol)) return null;
  } catch {
    return null;
  }
  return url;
}

/**
 * A site-relative link (`/docs/billing#top`) for renderers that allow them (`localLinks`): one
 * leading slash (never `//host` or `/\\host`, which browsers read as another site), then only
 * URL characters: no spaces, quotes, angle brackets, backslashes or control characters.
 */
export function safeLocalHref(raw: string): string | null {
  const url = raw.trim();
  if (!/^\/(?![/\\])[A-Za-z0-9\-._~/?#=&%+:@!$,;]*$/.test(url)) return null;
  try {
    if (new URL(url, 'https://site.invalid').origin !== 'https://site.invalid') return null;
  } catch {
    return null;
  }
  return url;
}

/** Whether the render in progress allows site-relative links (set by renderMarkdown; rendering is synchronous). */
let localLinks = false;
let headingShift = 2;

const isWordChar = (c: string | undefined) => !!c && /[\p{L}\p{N}]/u.test(c);

function inline(s: string, depth = 0, inLink = false): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && /[\\`*_[\]()#+\-.!>]/.test(s[i + 1]!)) {
      out += escapeHtml(s[i + 1]!);
      i += 2;
      continue;
    }
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) {
        out += `<code>${escapeHtml(s.slice(i + 1, end))}</code>`;
        i = end + 1;
        continue;
      }
    }
    if (c === '[' && !inLink && depth < MAX_DEPTH) {
      const close = s.indexOf('](', i + 1);
      const end = close < 0 ? -1 : s.indexOf(')', close + 2);
      if (close > i + 1 && end > close + 2) {
        const target = s.slice(close + 2, end);
        const href = safeHref(target) ?? (localLinks ? safeLocalHref(target) : null);
        if (href) {
          const text = inline(s.slice(i + 1, close), depth + 1, true);
          out += `<a href="${escapeHtml(href)}" rel="${LINK_REL}">${text}</a>`;
          i = end + 1;
          continue;
        }
      }
    }
    if ((c === '*' || c === '_') && depth < MAX_DEPTH) {
      const double = s[i + 1] === c;
      const delim = double ? c + c : c;
      const opensInWord = c === '_' && isWordChar(s[i - 1]);
      const next = s[i + delim.length];
      if (!opensInWord && next !== undefined && next !== ' ' && (double || next !== c)) {
        let end = s.indexOf(delim, i + delim.length + 1);
        // `***x***`: the double delimiter closes at the end of the run.
        if (double && end > 0 && s[end + 2] === c) end++;
        // A single delimiter must not be half of a double one.
        while (!double && end > 0 && (s[end + 1] === c || s[end - 1] === c)) end = s.indexOf(delim, end + 2);
        if (end > 0 && s[end - 1] !== ' ' && !(c === '_' && isWordChar(s[end + delim.length]))) {
          const tag = double ? 'strong' : 'em';
          out += `<${tag}>${inline(s.slice(i + delim.length, end), depth + 1, inLink)}</${tag}>`;
          i = end + delim.length;
          continue;
        }
      }
    }
    out += escapeHtml(c);
    i++;
  }
  return out;
}

const FENCE = /^\s{0,3}```/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;

/**
 * `source` (Markdown subset) as safe HTML. `localLinks`: links may also be site-relative
 * (`[Billing](/docs/billing)`), for staff-written site content. `headingShift`: how many levels
 * headings move down (default 2, `#` → h3, under a page's own h1 and h2; a whole page of
 * content under its h1 title uses 1, `#` → h2).
 */
export function renderMarkdown(source: string, opts: { localLinks?: boolean; headingShift?: 1 | 2 } = {}): string {
  localLinks = opts.localLinks === true;
  headingShift = opts.headingShift ?? 2;
  try {
    return render(source);
  } finally {
    localLinks = false;
    headingShift = 2;
  }
}

function render(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${para.map((l) => inline(l.trim())).join('<br>\n')}</p>`);
    para = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (FENCE.test(line)) {
      flush();
      const code: string[] = [];
      i++;
      while (i < lines.length && !FENCE.test(lines[i]!)) code.push(lines[i++]!);
      i++; // the closing fence (or the end)
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      const level = Math.min(heading[1]!.length + headingShift, 6);
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
      i++;
      continue;
    }
    if (BULLET.test(line) || NUMBERED.test(line)) {
      flush();
      const ordered = !BULLET.test(line);
      const re = ordered ? NUMBERED : BULLET;
      const items: string[] = [];
      const start = ordered ? Number(NUMBERED.exec(line)![1]) : 1;
      while (i < lines.length && re.test(lines[i]!)) {
        const m = re.exec(lines[i]!)!;
        items.push(`<li>${inline((ordered ? m[2] : m[1])!.trim())}</li>`);
        i++;
      }
      const tag = ordered ? 'ol' : 'ul';
      out.push(`<${tag}${ordered && start !== 1 ? ` start="${start}"` : ''}>${items.join('')}</${tag}>`);
      continue;
    }
    if (!line.trim()) flush();
    else para.push(line);
    i++;
  }
  flush();
  return out.join('\n');
}
