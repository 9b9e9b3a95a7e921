/**
 * JSON Schema (as the OpenAPI 3.1 document writes it) turned into what the API reference shows:
 * field rows for nested tables (a path per field, its type, whether it is required, enums,
 * examples and limits), and an example value built from the schema's own examples. Text stays
 * raw here (views/public/api-docs escapes it), except `descriptionHtml`, made by `inlineHtml`.
 */

export type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  example?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
};

export type Schemas = Record<string, Schema>;

export interface FieldRow {
  /** Where the field is: `data[].plan.id`; `(option 2)` rows introduce one shape of a union. */
  path: string;
  depth: number;
  type: string;
  required: boolean;
  /** The description, escaped, its `code` spans marked up (`inlineHtml`). */
  descriptionHtml: string;
  enum: string[];
  example: string | null;
  /** Limits in words: "max length 64", "1–100", "default 25". */
  limits: string[];
}

const MAX_DEPTH = 6;

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Escaped text with `code` spans as <code>: the only markup a description from the document gets. */
export function inlineHtml(text: string | undefined): string {
  return escapeHtml(text ?? '').replace(/`([^`]+)`/g, '<code>$1</code>');
}
const refName = (ref: string) => ref.replace(/^#\/components\/schemas\//, '');

/** The schema a `$ref` names (the schema itself otherwise), with the name when it had one. */
export function resolve(s: Schema, schemas: Schemas): { schema: Schema; name: string | null } {
  if (!s.$ref) return { schema: s, name: null };
  const name = refName(s.$ref);
  return { schema: schemas[name] ?? {}, name };
}

/** The variants of a union other than `null`, and whether `null` is one of them. */
function variants(s: Schema): { options: Schema[]; nullable: boolean } | null {
  const list = s.anyOf ?? s.oneOf;
  if (!list) return null;
  const options = list.filter((o) => o.type !== 'null');
  return { options, nullable: options.length < list.length };
}

/** A type for people: `string (uuid)`, `array of Instance`, `integer | null`. */
export function typeOf(s: Schema, schemas: Schemas): string {
  if (s.$ref) return refName(s.$ref);
  const union = variants(s);
  if (union) return [...union.options.map((o) => typeOf(o, schemas)), ...(union.nullable ? ['null'] : [])].join(' | ');
  if (s.allOf) return s.allOf.map((o) => typeOf(o, schemas)).join(' & ');
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (!types.length) return s.properties ? 'object' : 'any';
  return types
    .map((t) => {
      if (t === 'array') return `array of ${s.items ? typeOf(s.items, schemas) : 'any'}`;
      if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties)
        return `map of ${typeOf(s.additionalProperties, schemas)}`;
      return s.format && t !== 'null' ? `${t} (${s.format})` : t;
    })
    .join(' | ');
}

function limitsOf(s: Schema): string[] {
  const out: string[] = [];
  if (s.minimum !== undefined && s.maximum !== undefined) out.push(`${s.minimum}–${s.maximum}`);
  else if (s.minimum !== undefined) out.push(`min ${s.minimum}`);
  else if (s.maximum !== undefined) out.push(`max ${s.maximum}`);
  if (s.minLength !== undefined && s.minLength > 0) out.push(`min length ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`max length ${s.maxLength}`);
  if (s.minItems !== undefined && s.minItems > 0) out.push(`min ${s.minItems} items`);
  if (s.maxItems !== undefined) out.push(`max ${s.maxItems} items`);
  if (s.pattern) out.push(`pattern ${s.pattern}`);
  if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
  return out;
}

/** One field's row from its (unresolved) schema: a `$ref`'s own description wins over the target's. */
export function rowOf(path: string, depth: number, s: Schema, required: boolean, schemas: Schemas): FieldRow {
  const target = resolve(s, schemas).schema;
  const union = variants(target);
  const plain = union?.options.length === 1 ? resolve(union.options[0]!, schemas).schema : target;
  const enums = plain.enum ?? (plain.const !== undefined ? [plain.const] : []);
  const example = s.example ?? target.example;
  return {
    path,
    depth,
    type: typeOf(s, schemas),
    required,
    descriptionHtml: inlineHtml(s.description ?? target.description ?? plain.description),
    enum: enums.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
    example: example === undefined ? null : JSON.stringify(example),
    limits: limitsOf(plain),
  };
}

/** The nested fields of a schema, depth first: objects' properties, arrays' items (`name[]`), unions' shapes. */
export function fieldsOf(s: Schema, schemas: Schemas, prefix = '', depth = 0, seen: string[] = []): FieldRow[] {
  if (depth > MAX_DEPTH) return [];
  const { schema, name } = resolve(s, schemas);
  if (name && seen.includes(name)) return [];
  const stack = name ? [...seen, name] : seen;
  const out: FieldRow[] = [];
  const union = variants(schema);
  if (union) {
    if (union.options.length === 1) return fieldsOf(union.options[0]!, schemas, prefix, depth, stack);
    union.options.forEach((option, i) => {
      const inner = fieldsOf(option, schemas, prefix, depth + 1, stack);
      if (!inner.length) return;
      out.push({ ...rowOf(`${prefix}(option ${i + 1})`, depth, option, false, schemas), required: false });
      out.push(...inner);
    });
    return out;
  }
  const parts = schema.allOf ? schema.allOf.map((p) => resolve(p, schemas).schema) : [schema];
  for (const part of parts) {
    const required = new Set(part.required ?? []);
    for (const [key, child] of Object.entries(part.properties ?? {})) {
      const path = `${prefix}${key}`;
      out.push(rowOf(path, depth, child, required.has(key), schemas));
      out.push(...fieldsOf(child, schemas, `${path}.`, depth + 1, stack));
    }
    if (part.items) out.push(...fieldsOf(part.items, schemas, `${prefix.replace(/\.$/, '')}[].`, depth, stack));
    if (part.additionalProperties && typeof part.additionalProperties === 'object' && part.properties)
      out.push(rowOf(`${prefix}<any name>`, depth, part.additionalProperties, false, schemas));
  }
  return out;
}

/** A value that fits the schema, from its own examples where it has them (request bodies, curl). */
export function exampleOf(s: Schema, schemas: Schemas, depth = 0, seen: string[] = []): unknown {
  if (s.example !== undefined) return s.example;
  const { schema, name } = resolve(s, schemas);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (depth > MAX_DEPTH || (name && seen.includes(name))) return null;
  const stack = name ? [...seen, name] : seen;
  const union = variants(schema);
  if (union) return union.options.length ? exampleOf(union.options[0]!, schemas, depth + 1, stack) : null;
  if (schema.allOf)
    return Object.assign({}, ...schema.allOf.map((p) => exampleOf(p, schemas, depth + 1, stack) as object));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'array') return schema.items ? [exampleOf(schema.items, schemas, depth + 1, stack)] : [];
  if (type === 'object' || schema.properties) {
    const required = new Set(schema.required ?? []);
    const entries = Object.entries(schema.properties ?? {});
    // Required fields, and the optional ones the schema gives an example of; all when none is required.
    const shown = required.size ? entries.filter(([k, v]) => required.has(k) || v.example !== undefined) : entries;
    return Object.fromEntries(shown.map(([k, v]) => [k, exampleOf(v, schemas, depth + 1, stack)]));
  }
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1;
  if (type === 'boolean') return true;
  if (type === 'string') return STRING_EXAMPLES[schema.format ?? ''] ?? 'string';
  return null;
}

const STRING_EXAMPLES: Record<string, string> = {
  uuid: '00000000-0000-0000-0000-000000000000',
  'date-time': '2026-01-01T00:00:00Z',
  date: '2026-01-01',
  email: 'jane@example.com',
  uri: 'https://example.com',
};
