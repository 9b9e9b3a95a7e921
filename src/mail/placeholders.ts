import { isSecretPlaceholder } from './secrets.ts';

/**
 * Logic-less email templates (issue 16 item 5). A template is text with `{{name}}` placeholders
 * and nothing else: no conditions, loops, partials, expressions or raw output, so a template an
 * admin saves can never run code. Every value is a string the sending code computed (wording that
 * depends on the data, "1 server" / "3 servers", is computed there, not in the template).
 *
 *   subject, text  values are put in as they are (the subject on one line)
 *   HTML           every value is HTML-escaped; a link placeholder (`link: true`) at the start of
 *                  an href/src is used only when it is an http(s) URL (or a sealed link, see
 *                  src/mail/secrets.ts), otherwise `#`
 *
 * `validateTemplate` refuses, naming each: placeholders the email does not have, malformed braces
 * (`{{ name`, `{{#if x}}`, `{{{x}}}`), and in the HTML part anything that would let a value or the
 * template itself become active content: scripts, frames, objects, forms, `on…` handlers,
 * `javascript:` links, and placeholders where escaping is not enough (tag or attribute names,
 * unquoted attribute values, style attributes and <style> blocks, the start of a link that is not
 * a link placeholder).
 */

export interface PlaceholderSpec {
  description: string;
  /** The value is a URL (produced by SkyPanel): may start an href. */
  link?: boolean;
}
export type PlaceholderSpecs = Record<string, PlaceholderSpec>;

export type TemplatePart = 'subject' | 'html' | 'text';
export interface TemplateSource {
  subject: string;
  html: string;
  text: string;
}

const TOKEN = /\{\{([A-Za-z][A-Za-z0-9_]*)\}\}/g;

interface Token {
  name: string;
  start: number;
  end: number;
}

function tokensOf(source: string): Token[] {
  return [...source.matchAll(TOKEN)].map((m) => ({ name: m[1]!, start: m.index, end: m.index + m[0].length }));
}

/** Braces that are not a `{{name}}`: each shown as written (shortened). */
function malformedOf(source: string): string[] {
  const found: string[] = [];
  // Blank out the good tokens (same length) so what is left holds only stray braces.
  const rest = source.replace(TOKEN, (m) => ' '.repeat(m.length));
  const stray = /\{\{|\}\}/g;
  let m: RegExpExecArray | null;
  while ((m = stray.exec(rest))) {
    let snippet: string;
    if (m[0] === '{{') {
      // To its closing braces, or (when there are none first) to the next '{{', '<', line end or 30 characters.
      const after = source.slice(m.index + 2);
      const close = after.indexOf('}}');
      const stop = after.search(/\{\{|<|\n/);
      const closed = close >= 0 && close <= 40 && (stop < 0 || close < stop);
      const end = closed ? close + 2 : Math.min(stop < 0 ? after.length : stop, 30);
      snippet = '{{' + after.slice(0, end) + (closed ? '' : '…');
      stray.lastIndex = m.index + 2 + (closed ? close + 2 : 0);
    } else {
      snippet = '…' + source.slice(Math.max(0, m.index - 18), m.index + 2);
    }
    found.push(snippet.replace(/\s+/g, ' '));
  }
  // Triple braces around a good token ({{{name}}}: "raw output" elsewhere) are not ours either.
  for (const t of source.matchAll(/\{+\{\{[A-Za-z][A-Za-z0-9_]*\}\}\}*|\{\{[A-Za-z][A-Za-z0-9_]*\}\}\}+/g))
    found.push(t[0]);
  return [...new Set(found)];
}

const URL_ATTRIBUTES = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'background',
  'poster',
  'cite',
  'data',
  'xlink:href',
  'srcset',
  'longdesc',
  'lowsrc',
  'dynsrc',
  'ping',
  'manifest',
  'codebase',
]);
const FORBIDDEN_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'form',
  'input',
  'button',
  'select',
  'textarea',
  'base',
  'meta',
  'link',
  'svg',
  'math',
  'template',
  'noscript',
  'portal',
]);
const SAFE_SCHEMES = new Set(['http', 'https', 'mailto', 'tel']);

type Where =
  | { in: 'text' }
  | { in: 'comment' }
  | { in: 'style' }
  | { in: 'tag' } // a tag or attribute name, or between attributes
  | { in: 'unquoted'; attr: string }
  | { in: 'attribute'; attr: string; before: string };

interface HtmlScan {
  /** Where each token sits, by its start. */
  where: Map<number, Where>;
  problems: string[];
}

/** Walks the HTML part once: the tags and attributes it writes, and where each placeholder sits. */
function scanHtml(source: string, tokens: Token[]): HtmlScan {
  const at = new Map(tokens.map((t) => [t.start, t]));
  const where = new Map<number, Where>();
  const problems = new Set<string>();
  const n = source.length;
  let i = 0;
  let rawUntil: string | null = null; // inside <style>: until </style

  // Skips a token at i (noting where it sits); true when there was one.
  const token = (w: Where) => {
    const t = at.get(i);
    if (!t) return false;
    where.set(t.start, w);
    i = t.end;
    return true;
  };

  while (i < n) {
    if (rawUntil) {
      if (source.slice(i, i + rawUntil.length).toLowerCase() === rawUntil) {
        rawUntil = null;
        continue;
      }
      if (!token({ in: 'style' })) i++;
      continue;
    }
    if (source.startsWith('<!--', i)) {
      const close = source.indexOf('-->', i + 4);
      const end = close < 0 ? n : close + 3;
      i += 4;
      while (i < end) if (!token({ in: 'comment' })) i++;
      continue;
    }
    const open = /^<(\/?)([A-Za-z][A-Za-z0-9:-]*)/.exec(source.slice(i, i + 40));
    if (!open && /^<\/?\{\{/.test(source.slice(i, i + 4))) {
      i += source[i + 1] === '/' ? 2 : 1;
      token({ in: 'tag' }); // `<{{name}}>` would let a value name the tag
      continue;
    }
    if (!open) {
      if (!token({ in: 'text' })) i++;
      continue;
    }
    const tag = open[2]!.toLowerCase();
    const closing = open[1] === '/';
    if (!closing && FORBIDDEN_TAGS.has(tag)) problems.add(`<${tag}> is not allowed in an email.`);
    i += open[0].length;
    // Attributes, to the end of the tag.
    while (i < n && source[i] !== '>') {
      if (token({ in: 'tag' })) continue;
      if (/[\s/]/.test(source[i]!)) {
        i++;
        continue;
      }
      let name = '';
      while (i < n && !/[\s=>/]/.test(source[i]!) && !at.has(i)) name += source[i++];
      if (at.has(i)) continue;
      const attr = name.toLowerCase();
      if (attr.startsWith('on')) problems.add(`Event handler attributes (${attr}) are not allowed.`);
      if (attr === 'srcdoc') problems.add('The srcdoc attribute is not allowed.');
      let j = i;
      while (j < n && /\s/.test(source[j]!)) j++;
      if (source[j] !== '=') continue;
      i = j + 1;
      while (i < n && /\s/.test(source[i]!)) i++;
      const quote = source[i] === '"' || source[i] === "'" ? source[i]! : null;
      let value = '';
      let literal = '';
      if (quote) {
        i++;
        while (i < n && source[i] !== quote) {
          if (token({ in: 'attribute', attr, before: value })) {
            value += '\u0000';
            continue;
          }
          value += source[i];
          literal += source[i++];
        }
        i++;
      } else {
        while (i < n && !/[\s>]/.test(source[i]!)) {
          if (token({ in: 'unquoted', attr })) {
            value += '\u0000';
            continue;
          }
          value += source[i];
          literal += source[i++];
        }
      }
      if (URL_ATTRIBUTES.has(attr)) {
        if (/&(#|colon|tab|newline)/i.test(literal))
          problems.add(`Write the ${attr} link plainly (no character references such as &#58;).`);
        // Browsers drop whitespace and control characters in a URL before reading its scheme.
        const plain = value.split('\u0000')[0]!.replace(/[\u0000-\u0020\u007f]/g, '');
        const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(plain)?.[1]?.toLowerCase();
        if (scheme && !SAFE_SCHEMES.has(scheme))
          problems.add(`${scheme}: links are not allowed (use http, https, mailto or tel).`);
      }
      if (attr === 'style' && /expression\s*\(|javascript:|behavior\s*:|-moz-binding/i.test(literal))
        problems.add('This style attribute is not allowed (it could run code).');
    }
    i++;
    if (!closing && tag === 'style') rawUntil = '</style';
  }
  return { where, problems: [...problems] };
}

/** Where a placeholder may not go in the HTML part, or null when it may. */
function misplaced(name: string, w: Where, specs: PlaceholderSpecs): string | null {
  const p = `{{${name}}}`;
  switch (w.in) {
    case 'text':
    case 'comment':
      return null;
    case 'style':
      return `${p} cannot go inside a <style> block.`;
    case 'tag':
      return `${p} cannot be a tag or attribute name; put it inside a quoted attribute value or the text.`;
    case 'unquoted':
      return `${p} in the ${w.attr} attribute needs quotes around the value: ${w.attr}="${p}".`;
    case 'attribute': {
      if (w.attr === 'style') return `${p} cannot go in a style attribute.`;
      if (w.attr.startsWith('on')) return `${p} cannot go in an event handler.`;
      if (!URL_ATTRIBUTES.has(w.attr)) return null;
      const before = w.before.replace(/[\u0000-\u0020\u007f]/g, '');
      if (before === '')
        return specs[name]?.link
          ? null
          : `${p} is not a link: a ${w.attr} may start only with a link placeholder or a fixed https://, http:// or mailto: address.`;
      if (/^(https?:\/\/[^\u0000]|mailto:|tel:)/i.test(before)) return null;
      return `${p} in a ${w.attr} must follow a fixed https://, http:// or mailto: start, or be a link placeholder at its start.`;
    }
  }
}

export interface TemplateErrors {
  subject?: string;
  html?: string;
  text?: string;
}

const MAX_LENGTH: Record<TemplatePart, number> = { subject: 300, html: 50_000, text: 50_000 };
const LABEL: Record<TemplatePart, string> = { subject: 'The subject', html: 'The HTML', text: 'The text' };

/**
 * Every problem of a template against the placeholders its email has, per part (an empty object:
 * none). Messages name the placeholders, so the form can show what to fix.
 */
export function validateTemplate(source: TemplateSource, specs: PlaceholderSpecs): TemplateErrors {
  const errors: TemplateErrors = {};
  for (const part of ['subject', 'html', 'text'] as const) {
    const value = source[part];
    const problems: string[] = [];
    if (!value.trim()) problems.push(`${LABEL[part]} cannot be empty.`);
    if (value.length > MAX_LENGTH[part])
      problems.push(`${LABEL[part]} is too long (at most ${MAX_LENGTH[part].toLocaleString('en')} characters).`);
    if (part === 'subject' && /[\r\n]/.test(value.trim())) problems.push('The subject must be one line.');
    // PostgreSQL text cannot hold NUL, and no mail reader shows it: refused, not a failed save.
    if (value.includes('\u0000')) problems.push(`${LABEL[part]} cannot contain a NUL character.`);
    const malformed = malformedOf(value);
    if (malformed.length)
      problems.push(
        `Malformed placeholder${malformed.length > 1 ? 's' : ''}: ${malformed.join(', ')}. Write placeholders as {{name}}, with no spaces or other syntax.`,
      );
    const tokens = tokensOf(value);
    const unknown = [...new Set(tokens.map((t) => t.name).filter((name) => !Object.hasOwn(specs, name)))];
    if (unknown.length)
      problems.push(
        `Unknown placeholder${unknown.length > 1 ? 's' : ''}: ${unknown.map((u) => `{{${u}}}`).join(', ')}. This email has: ${Object.keys(
          specs,
        )
          .map((s) => `{{${s}}}`)
          .join(', ')}.`,
      );
    if (part === 'subject') {
      // A subject is stored and shown as it is: a link (some carry a sealed token) has no place there.
      const links = [...new Set(tokens.map((t) => t.name).filter((name) => specs[name]?.link))];
      if (links.length) problems.push(`Links cannot go in the subject: ${links.map((l) => `{{${l}}}`).join(', ')}.`);
    }
    if (part === 'html') {
      const scan = scanHtml(value, tokens);
      problems.push(...scan.problems);
      for (const t of tokens) {
        const w = scan.where.get(t.start);
        const wrong = w && Object.hasOwn(specs, t.name) ? misplaced(t.name, w, specs) : null;
        if (wrong && !problems.includes(wrong)) problems.push(wrong);
      }
    }
    if (problems.length) errors[part] = problems.join(' ');
  }
  return errors;
}

export const isValid = (errors: TemplateErrors) => Object.keys(errors).length === 0;

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A value to start an href with: an http(s) URL or a sealed link, otherwise '#'. */
export function safeLink(value: string): string {
  if (isSecretPlaceholder(value)) return value;
  try {
    const url = new URL(value);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !/[\u0000-\u0020]/.test(value)) return value;
  } catch {
    /* not a URL */
  }
  return '#';
}

type Values = Record<string, string>;
const valueOf = (values: Values, name: string) => (Object.hasOwn(values, name) ? values[name]! : '');

/** The text part (or any plain part): each placeholder replaced by its value as it is. */
export function renderText(source: string, values: Values): string {
  return source.replace(TOKEN, (_, name: string) => valueOf(values, name));
}

/** The subject: plain, on one line. */
export function renderSubject(source: string, values: Values): string {
  return renderText(source, values).replace(/\s+/g, ' ').trim();
}

/** The HTML part: each value escaped; a value that starts a link attribute only if it is an http(s) URL. */
export function renderHtml(source: string, values: Values): string {
  const tokens = tokensOf(source);
  const { where } = scanHtml(source, tokens);
  let out = '';
  let last = 0;
  for (const t of tokens) {
    out += source.slice(last, t.start);
    const w = where.get(t.start);
    let value = valueOf(values, t.name);
    if (w && (w.in === 'attribute' || w.in === 'unquoted') && URL_ATTRIBUTES.has(w.attr)) {
      if (w.in === 'unquoted' || w.before.replace(/[\u0000-\u0020\u007f]/g, '') === '') value = safeLink(value);
    } else if (w && (w.in === 'tag' || w.in === 'unquoted' || w.in === 'style')) {
      value = ''; // validation refuses these; rendering one anyway writes nothing there
    } else if (w && w.in === 'attribute' && (w.attr === 'style' || w.attr.startsWith('on'))) {
      value = '';
    }
    out += escapeHtml(value);
    last = t.end;
  }
  return out + source.slice(last);
}

/** The placeholder names a template uses (each once, in order). */
export function placeholdersUsed(source: string): string[] {
  return [...new Set(tokensOf(source).map((t) => t.name))];
}
