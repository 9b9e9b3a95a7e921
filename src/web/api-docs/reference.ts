import { exampleOf, fieldsOf, inlineHtml, rowOf, type FieldRow, type Schema, type Schemas } from './schema.ts';

/**
 * The API reference (/api-docs) as views/public/api-docs renders it, built from the app's own
 * OpenAPI document (src/web/api/v1/index.ts `openApiDocument`): operations grouped by tag, in
 * the document's order, each with its parameters, request and response fields, error codes,
 * authentication, a curl example and what the "try it" form needs.
 *
 * Every text that came from the document is escaped by the views, except `html` fields, which
 * `inlineHtml` made: escaped first, then `code` spans marked up.
 */

export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Schemas; securitySchemes?: Record<string, { description?: string }> };
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface Operation {
  tags?: string[];
  operationId?: string;
  summary?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

export interface ParameterRow extends FieldRow {
  in: Parameter['in'];
  name: string;
}

export interface ResponseView {
  status: string;
  html: string;
  contentType: string | null;
  schemaName: string | null;
  fields: FieldRow[];
}

export interface OperationView {
  /** The anchor: `op-<operationId>`. */
  anchor: string;
  method: string;
  path: string;
  summaryHtml: string;
  descriptionHtml: string;
  authenticated: boolean;
  parameters: ParameterRow[];
  body: { required: boolean; schemaName: string | null; fields: FieldRow[]; example: string } | null;
  /** 2xx answers, with their fields. */
  success: ResponseView[];
  /** 4xx/5xx answers: all are the error envelope. */
  errors: ResponseView[];
  curl: string;
}

export interface TagView {
  name: string;
  anchor: string;
  operations: OperationView[];
}

export interface Reference {
  title: string;
  version: string;
  serverUrl: string;
  /** The path the "try it" form calls (same origin as the page): `/api/v1`. */
  basePath: string;
  errorFields: FieldRow[];
  tags: TagView[];
  operationCount: number;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const anchorOf = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-|-$/g, '');

/** The reference of `doc`, operations in document order within each tag (tags in first-seen order). */
export function buildReference(doc: OpenApiDocument): Reference {
  const schemas = doc.components?.schemas ?? {};
  const serverUrl = (doc.servers?.[0]?.url ?? '/api/v1').replace(/\/$/, '');
  const tags = new Map<string, TagView>();
  let operationCount = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      operationCount++;
      const name = op.tags?.[0] ?? 'other';
      let tag = tags.get(name);
      if (!tag) tags.set(name, (tag = { name, anchor: `tag-${anchorOf(name)}`, operations: [] }));
      tag.operations.push(operationView(method, path, op, schemas, serverUrl));
    }
  }
  return {
    title: doc.info.title,
    version: doc.info.version,
    serverUrl,
    basePath: basePathOf(serverUrl),
    errorFields: schemas.ErrorEnvelope ? fieldsOf({ $ref: '#/components/schemas/ErrorEnvelope' }, schemas) : [],
    tags: [...tags.values()],
    operationCount,
  };
}

function basePathOf(url: string): string {
  try {
    return new URL(url).pathname.replace(/\/$/, '');
  } catch {
    return url;
  }
}

function operationView(method: string, path: string, op: Operation, schemas: Schemas, serverUrl: string) {
  const parameters: ParameterRow[] = (op.parameters ?? []).map((p) => ({
    ...rowOf(
      p.name,
      0,
      { ...(p.schema ?? {}), description: p.description ?? p.schema?.description },
      !!p.required,
      schemas,
    ),
    in: p.in,
    name: p.name,
  }));
  const json = op.requestBody?.content['application/json']?.schema;
  const body = json
    ? {
        required: !!op.requestBody?.required,
        schemaName: json.$ref ? json.$ref.split('/').pop()! : null,
        fields: fieldsOf(json, schemas),
        example: JSON.stringify(exampleOf(json, schemas), null, 2),
      }
    : null;
  const responses = Object.entries(op.responses).map(([status, r]): ResponseView => {
    const [contentType, media] = Object.entries(r.content ?? {})[0] ?? [null, null];
    const schema = media?.schema;
    return {
      status,
      html: inlineHtml(r.description),
      contentType,
      schemaName: schema?.$ref ? schema.$ref.split('/').pop()! : null,
      fields: schema && status.startsWith('2') && contentType === 'application/json' ? fieldsOf(schema, schemas) : [],
    };
  });
  const view: OperationView = {
    anchor: `op-${anchorOf(op.operationId ?? `${method}-${path}`)}`,
    method: method.toUpperCase(),
    path,
    summaryHtml: inlineHtml(op.summary),
    descriptionHtml: inlineHtml(op.description),
    authenticated: (op.security ?? []).length > 0,
    parameters,
    body,
    success: responses.filter((r) => !/^[45]/.test(r.status)),
    errors: responses.filter((r) => /^[45]/.test(r.status)),
    curl: '',
  };
  view.curl = curlOf(view, serverUrl);
  return view;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const envName = (param: string) => param.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();

/**
 * A curl command that makes the call: path parameters as shell variables (`$ID`), required
 * query parameters and headers, the key from `$SKYPANEL_API_KEY`, and the example body.
 */
export function curlOf(op: OperationView, serverUrl: string): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => `\${${envName(name)}}`);
  const query = op.parameters
    .filter((p) => p.in === 'query' && p.required)
    .map((p) => `${encodeURIComponent(p.name)}=${p.example ? String(JSON.parse(p.example)) : `$${envName(p.name)}`}`)
    .join('&');
  const url = `"${serverUrl}${path}${query ? `?${query}` : ''}"`;
  const lines = [op.method === 'GET' ? `curl ${url}` : `curl -X ${op.method} ${url}`];
  if (op.authenticated) lines.push(`-H "Authorization: Bearer $SKYPANEL_API_KEY"`);
  for (const p of op.parameters.filter((p) => p.in === 'header' && p.required))
    lines.push(`-H ${shellQuote(`${p.name}: ${p.example ? String(JSON.parse(p.example)) : '…'}`)}`);
  if (op.body) {
    lines.push(`-H 'Content-Type: application/json'`);
    lines.push(`-d ${shellQuote(JSON.stringify(JSON.parse(op.body.example)))}`);
  }
  return lines.join(' \\\n  ');
}
