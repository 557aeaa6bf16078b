// Writes web/src/api/generated.ts, the web console's typed API client, from docs/openapi.json
// (`npm run gen:web-client`). The output is generated: test/unit/web-client.test.ts fails when it
// is out of date. One function per operation; the transport (base URL, auth, refresh) is the
// caller's `ApiCall`, so the generated code stays free of policy.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OPENAPI_PATH = join(ROOT, 'docs', 'openapi.json');
export const WEB_CLIENT_PATH = join(ROOT, 'web', 'src', 'api', 'generated.ts');

type Schema = Record<string, any>;
interface Operation {
  summary?: string;
  parameters?: { in: string; name: string; required?: boolean; schema: Schema; description?: string }[];
  requestBody?: { content?: Record<string, { schema: Schema }>; required?: boolean };
  responses?: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const propName = (name: string) => (IDENT.test(name) ? name : JSON.stringify(name));

/** Text safe inside a block comment: a description may contain the comment terminator (e.g. "fw_* and sw_*" written with a slash). */
const commentSafe = (text: string): string => text.replace(/\*\//g, '*\\/');

/** TypeScript type text of a JSON schema (the subset route schemas produce). */
export function typeOf(s: Schema | undefined, indent = ''): string {
  if (!s || Object.keys(s).filter((k) => k !== 'description').length === 0) return 'unknown';
  let t: string;
  if (s.enum) t = s.enum.map((v: unknown) => JSON.stringify(v)).join(' | ');
  else if (s.anyOf || s.oneOf) t = (s.anyOf ?? s.oneOf).map((x: Schema) => typeOf(x, indent)).join(' | ');
  else if (s.allOf) t = s.allOf.map((x: Schema) => typeOf(x, indent)).join(' & ');
  else if (s.type === 'array') {
    const item = typeOf(s.items, indent);
    t = /^[\w.]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
  } else if (s.type === 'object' || s.properties || s.additionalProperties) {
    const required = new Set<string>(s.required ?? []);
    const inner = `${indent}  `;
    const props = Object.entries<Schema>(s.properties ?? {}).map(
      ([k, v]) => `${inner}${propName(k)}${required.has(k) ? '' : '?'}: ${typeOf(v, inner)};`,
    );
    if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      props.push(`${inner}[key: string]: ${typeOf(s.additionalProperties, inner)};`);
    }
    t = props.length ? `{\n${props.join('\n')}\n${indent}}` : 'Record<string, unknown>';
  } else if (s.type === 'integer' || s.type === 'number') t = 'number';
  else if (s.type === 'string') t = 'string';
  else if (s.type === 'boolean') t = 'boolean';
  else if (s.type === 'null') t = 'null';
  else t = 'unknown';
  if (s.nullable && !t.split(' | ').includes('null')) t = `${t} | null`;
  return t;
}

/** GET /api/v1/devices/{id}/telemetry → getDevicesByIdTelemetry */
export function operationName(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/v1\//, '/')
    .replace(/^\/api\//, '/')
    .split('/')
    .filter(Boolean)
    .map((seg) => {
      const param = /^\{(.+)\}$/.exec(seg);
      const word = param ? `by-${param[1]}` : seg;
      return word
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((w) => w[0]!.toUpperCase() + w.slice(1))
        .join('');
    });
  return method + words.join('');
}

function renderOperation(method: string, path: string, op: Operation): string {
  const name = operationName(method, path);
  const type = name[0]!.toUpperCase() + name.slice(1);
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const body = op.requestBody?.content?.['application/json']?.schema;
  const okStatus = Object.keys(op.responses ?? {}).find((s) => s.startsWith('2'));
  const okSchema = okStatus ? op.responses![okStatus]!.content?.['application/json']?.schema : undefined;
  const out: string[] = [];

  const fields: string[] = [];
  if (pathParams.length) {
    out.push(`export interface ${type}Path {\n${pathParams.map((p) => `  ${propName(p.name)}: ${typeOf(p.schema, '  ')};`).join('\n')}\n}`);
    fields.push(`path: ${type}Path`);
  }
  if (queryParams.length) {
    const lines = queryParams.map((p) => {
      const doc = p.description ? `  /** ${commentSafe(p.description)} */\n` : '';
      // Defaults make a parameter optional for the caller even when the schema requires it.
      const optional = !p.required || p.schema.default !== undefined;
      return `${doc}  ${propName(p.name)}${optional ? '?' : ''}: ${typeOf(p.schema, '  ')};`;
    });
    out.push(`export interface ${type}Query {\n${lines.join('\n')}\n}`);
    const anyRequired = queryParams.some((p) => p.required && p.schema.default === undefined);
    fields.push(`query${anyRequired ? '' : '?'}: ${type}Query`);
  }
  if (body) {
    out.push(`export type ${type}Body = ${typeOf(body)};`);
    fields.push(`body: ${type}Body`);
  }
  const resultType = okSchema ? `${type}Result` : 'void';
  if (okSchema) out.push(`export type ${type}Result = ${typeOf(okSchema)};`);

  const args = fields.length ? `, args: { ${fields.join('; ')} }` : '';
  const argsOptional = fields.length && fields.every((f) => f.startsWith('query?'));
  const signature = argsOptional ? `${args} = {}` : args;
  const urlPath = path.replace(/\{([^}]+)\}/g, (_m, p: string) => `\${encodeURIComponent(String(args.path.${p}))}`);
  const request = [
    `method: '${method.toUpperCase()}'`,
    `path: \`${urlPath}\``,
    ...(queryParams.length ? ['query: args.query as unknown as Record<string, unknown> | undefined'] : []),
    ...(body ? ['body: args.body'] : []),
  ];
  out.push(
    `/** ${commentSafe(op.summary ?? `${method.toUpperCase()} ${path}`)} (${method.toUpperCase()} ${path}) */\n` +
      `export function ${name}(call: ApiCall${signature}): Promise<${resultType}> {\n` +
      `  return call({ ${request.join(', ')} }) as Promise<${resultType}>;\n}`,
  );
  return out.join('\n\n');
}

export function renderWebClient(doc: { paths: Record<string, Record<string, Operation>>; info?: { version?: string } }): string {
  const header = [
    '// Generated by `npm run gen:web-client` from docs/openapi.json; do not edit.',
    '// test/unit/web-client.test.ts fails when this file is out of date.',
    '',
    'export interface ApiRequest {',
    '  method: string;',
    '  path: string;',
    '  query?: Record<string, unknown>;',
    '  body?: unknown;',
    '}',
    '',
    '/** Performs one request and resolves with the parsed JSON body (rejects on an error status). */',
    'export type ApiCall = (request: ApiRequest) => Promise<unknown>;',
  ].join('\n');
  const ops: string[] = [];
  for (const path of Object.keys(doc.paths).sort()) {
    for (const method of METHODS) {
      const op = doc.paths[path]![method];
      if (op) ops.push(renderOperation(method, path, op));
    }
  }
  return `${header}\n\n${ops.join('\n\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const doc = JSON.parse(await readFile(OPENAPI_PATH, 'utf8'));
  await writeFile(WEB_CLIENT_PATH, renderWebClient(doc));
  console.log(`wrote ${WEB_CLIENT_PATH}`);
}
