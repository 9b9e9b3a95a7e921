/**
 * A strict reader of Prometheus' text exposition format (0.0.4), as a scraper reads it: every
 * line is a comment, a `# HELP`/`# TYPE` line or a sample; a sample belongs to a family whose
 * TYPE came before it (histograms: `_bucket`, `_sum`, `_count`); label values are quoted with
 * `\\`, `\"` and `\n` escapes; values are floats, `NaN` or `±Inf` (any case, as Go parses them). Throws on anything else.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the text does not end with a newline');
  for (const [i, line] of lines.slice(0, -1).entries()) {
    const where = `line ${i + 1}: ${line}`;
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name: ${where}`);
      const family = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`bad type: ${where}`);
        if (family.samples.length) throw new Error(`TYPE after samples: ${where}`);
        family.type = rest;
      } else family.help = rest;
      families.set(name, family);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line, where);
    const family = familyOf(families, sample.name);
    if (!family) throw new Error(`a sample of no declared family: ${where}`);
    family.samples.push(sample);
  }
  return families;
}

function familyOf(families: Map<string, Family>, sample: string): Family | undefined {
  const own = families.get(sample);
  if (own) return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = families.get(sample.slice(0, -suffix.length));
    if (sample.endsWith(suffix) && base && (base.type === 'histogram' || base.type === 'summary')) return base;
  }
  return undefined;
}

function parseSample(line: string, where: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (!m) throw new Error(`not a sample: ${where}`);
  const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
  const labels: Record<string, string> = {};
  if (labelText) {
    let rest = labelText.slice(1, -1);
    while (rest.length) {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
      if (!l) throw new Error(`bad labels: ${where}`);
      if (l[1]! in labels) throw new Error(`a label twice: ${where}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
      rest = rest.slice(l[0].length);
    }
  }
  // As Prometheus reads them (Go's ParseFloat): NaN and Inf in any case (prom-client writes `Nan`).
  const value = /^nan$/i.test(valueText)
    ? NaN
    : /^[+-]?inf$/i.test(valueText)
      ? valueText.startsWith('-')
        ? -Infinity
        : Infinity
      : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(valueText)
        ? Number(valueText)
        : null;
  if (value === null) throw new Error(`bad value: ${where}`);
  return { name, labels, value };
}

/** The samples named `name` whose labels include `labels`. */
export function samples(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample[] {
  const family = familyOf(families, name);
  return (family?.samples ?? []).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The one sample named `name` with exactly these labels (histograms: `le` included), or undefined. */
export function value(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples(families, name, labels).filter(
    (s) => Object.keys(s.labels).length === Object.keys(labels).length,
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]?.value;
}
