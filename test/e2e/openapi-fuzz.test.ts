// Walks the served OpenAPI document and sends hostile values in every query, path and top-level
// body parameter of every route, with valid authentication. No answer may be a 5xx, and the
// process must stay up: every bad input is the caller's mistake and is answered as such (4xx).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { ADMIN_PASSWORD, createDevice, login, tempDir } from '../helpers/harness.js';
import { startVigilProcess, type VigilProcess } from '../helpers/process.js';
import { createAuthority, issueDeviceCertificate } from '../../src/domains/devices/x509.js';

/** Sent percent-encoded as given (not through encodeURIComponent): bytes that are not UTF-8. */
const RAW = Symbol('raw');
type Hostile = string | number | { [RAW]: string };

const HOSTILE_TEXT: Hostile[] = [
  '', ' ', '0', '-1', '-0', '1.5', '1e20', '1e400', '-1e400', '99999999999999999999', '-99999999999999999999',
  '9007199254740993', 'NaN', 'Infinity', '-Infinity', '0x10', 'null', 'true', '[]', '{}', '__proto__', 'constructor',
  'toString', 'hasOwnProperty', "' OR 1=1 --", '1; DROP TABLE telemetry; --', '"; SELECT 1; --', '99999999999999999999w',
  '1e20ms', '-5m', '0.0001ms', '1.7976931348623157e308d', '2024-13-45T99:99:99Z', '+275761-01-01T00:00:00Z', ',,,', ' , , ',
  'a'.repeat(10_000), 'a,'.repeat(3_000), '😀', 'ü', '\u202e\u0000\u0007', '\u0000', '%', '\\', '../../etc/passwd',
  { [RAW]: '%ED%A0%80' }, { [RAW]: '%F0%28%8C%28' }, { [RAW]: '%C3' }, { [RAW]: '%' },
];
/** Body fields also get JSON numbers and other types, not only strings. */
const HOSTILE_JSON: unknown[] = [
  ...HOSTILE_TEXT.filter((v): v is string => typeof v === 'string'),
  '\ud800', 'x\udfffy', 0, -1, 1.5, 1e308, -1e308, 9007199254740993, 2 ** 31, -(2 ** 63), null, true, [], {}, ['a'], { a: 1 },
];

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required?: boolean;
  schema: { type?: string; default?: unknown; anyOf?: unknown[]; enum?: unknown[] };
}
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  minLength?: number;
  minItems?: number;
  format?: string;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

/**
 * A smallest valid value for a schema: required properties only, so fuzzing one field of a route
 * nobody wrote a baseline body for still gets past the other fields' validation.
 */
function sampleFromSchema(schema: JsonSchema | undefined): unknown {
  if (!schema) return undefined;
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.anyOf?.length) return sampleFromSchema(schema.anyOf[0]);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'email') return 'fuzz@example.com';
      if (schema.format === 'date-time') return new Date(0).toISOString();
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sampleFromSchema(schema.items));
    case 'object':
    default: {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = sampleFromSchema(schema.properties?.[name]);
      return out;
    }
  }
}

/** Runs fn over the values, a few requests at a time (the server is the bottleneck, not the client). */
async function inParallel<T>(values: T[], fn: (value: T) => Promise<void>, width = 6): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < values.length) await fn(values[next++]!);
    }),
  );
}

/**
 * A JSON problem body {error, message} whose message or details name the parameter (as a word).
 * A path the router cannot even decode names the URL path: no parameter is known at that point.
 */
function isProblemNaming(text: string, name: string, where: 'query' | 'path' | 'body'): boolean {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; details?: unknown };
    if (typeof body.error !== 'string' || typeof body.message !== 'string') return false;
    const word = new RegExp(`(^|[^A-Za-z])${name}([^A-Za-z]|$)`);
    if (word.test(body.message) || word.test(JSON.stringify(body.details ?? null))) return true;
    return where === 'path' && body.error === 'BAD_URL' && /URL path/.test(body.message);
  } catch {
    return false;
  }
}

interface Outcome {
  route: string;
  where: string;
  value: string;
  status: number;
  body: string;
}

describe('every parameter of every route answers hostile values with a 4xx, never a 5xx', () => {
  let vigil: VigilProcess;
  let dataDir: string;
  let token: string;
  let device: { id: string; accessToken: string };
  /** Valid PEMs for the credential routes' baseline bodies: an outside CA and a device certificate it issued. */
  const certificates = { authority: '', device: '' };

  before(async () => {
    const outsideCa = await createAuthority('fuzz outside CA');
    certificates.authority = outsideCa.certificatePem;
    certificates.device = (await issueDeviceCertificate(outsideCa, 'fuzz-target', 30)).certificatePem;
    dataDir = await tempDir();
    vigil = await startVigilProcess(dataDir, {
      VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      VIGIL_API_RATE_LIMIT_PER_MIN: '10000000',
      VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '100000',
      VIGIL_LOG_LEVEL: 'fatal',
    });
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'fuzz-target', { type: 'pump' });
    const start = Date.now() - 3_600_000;
    const body = Array.from({ length: 60 }, (_, i) => ({ ts: start + i * 60_000, values: { temp: 20 + i / 10, hum: 40 + (i % 7), mode: 'eco' } }));
    const res = await fetch(`${vigil.http}/api/v1/${device.accessToken}/telemetry`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(res.status, 200);
  });

  after(async () => {
    vigil.child.kill('SIGTERM');
    await vigil.exited;
    await rm(dataDir, { recursive: true, force: true });
  });

  function baselinePath(name: string): string {
    return { id: device.id, token: device.accessToken, type: 'pump', scope: 'shared', kind: 'firmware' }[name] ?? 'x';
  }

  function baselineQuery(name: string): string | undefined {
    return ({ key: 'temp', threshold: '30', kind: 'firmware', title: 'fuzz', version: '1' } as Record<string, string>)[name];
  }

  function baselineBody(method: string, path: string, schema: JsonSchema | undefined): unknown {
    const failures = [0, 1, 2].map((i) => ({ deviceId: device.id, failedAt: String(Date.now() - i * 1000) }));
    const bodies: Record<string, unknown> = {
      'POST /api/v1/auth/login': { email: 'admin@localhost', password: ADMIN_PASSWORD },
      'POST /api/v1/auth/refresh': { refreshToken: 'not-a-token' },
      'POST /api/v1/devices': { name: 'fuzzed' },
      'PATCH /api/v1/devices/{id}': { name: 'fuzz-target' },
      'POST /api/v1/models/retrain': { deviceId: device.id, key: 'temp' },
      'PUT /api/v1/analytics/detectors/{type}': { keys: ['temp', 'hum'], fitPoints: 400 },
      'PUT /api/v1/maintenance/policies/{type}': { key: 'temp', threshold: 50 },
      'POST /api/v1/maintenance/rul-models/{type}/train': { keys: ['temp'], failures },
      'POST /api/v1/{token}/telemetry': { temp: 1 },
      'POST /api/v1/telemetry': { temp: 1 },
      'POST /api/v1/dashboards': { name: 'fuzz' },
      'PUT /api/v1/dashboards/{id}': { name: 'fuzz' },
      // Identity routes: bodies that pass validation but change nothing of the fuzzing admin.
      'POST /api/v1/auth/logout': { refreshToken: 'not-a-token' },
      'POST /api/v1/auth/password': { currentPassword: 'not-the-current-password', newPassword: 'a fuzzing passphrase' },
      'POST /api/v1/users': { email: 'fuzz@example.com', password: 'a fuzzing passphrase', role: 'viewer' },
      'PATCH /api/v1/users/{id}': { disabled: false },
      'POST /api/v1/users/{id}/password': { password: 'a fuzzing passphrase' },
      'POST /api/v1/tenants': { name: 'fuzz-tenant', admin: { email: 'admin@fuzz.example', password: 'a fuzzing passphrase' } },
      'PATCH /api/v1/tenants/{id}': { maxDevices: 10 },
      'POST /api/v1/api-keys': { name: 'fuzz', scopes: ['read'], expiresInDays: 1 },
      // persistent: answered at once instead of waiting for the device's reply
      'POST /api/v1/devices/{id}/rpc': { method: 'fuzz', persistent: true },
      'POST /api/v1/provisioning/profiles': { name: 'fuzz', strategy: 'allow_new' },
      'POST /api/v1/devices/claim': { deviceName: 'fuzz-target', secretKey: '' },
      'POST /api/v1/ota/packages/{id}/assign': { deviceType: 'pump' },
      'PUT /api/v1/devices/{id}/ota/{kind}': { packageId: 'x' },
      'POST /api/v1/ota/campaigns': { packageId: 'x', deviceType: 'pump' },
      'POST /api/v1/rules/test': { rule: { name: 'fuzz', condition: { type: 'threshold', key: 'temp', operator: '>', value: 1 } }, from: Date.now() - 3_600_000, to: Date.now() },
      'POST /api/v1/alarms/{id}/comments': { text: 'fuzz' },
      // Credentials: bodies that pass validation, so each field's own hostile values are what is refused.
      'PUT /api/v1/devices/{id}/credentials/mqtt-basic': { clientId: 'fuzz-client', username: 'fuzz-user', password: 'fuzz-password' },
      'POST /api/v1/devices/{id}/certificates/register': { certificatePem: certificates.device },
      'POST /api/v1/device-cas': { name: 'fuzz-ca', certificatePem: certificates.authority },
    };
    return bodies[`${method} ${path}`] ?? (method === 'GET' || method === 'DELETE' ? undefined : (sampleFromSchema(schema) ?? {}));
  }

  function encode(value: Hostile): string {
    if (typeof value === 'object') return value[RAW];
    return encodeURIComponent(String(value));
  }

  function show(value: unknown): string {
    const text = typeof value === 'object' && value !== null && RAW in value ? `raw:${(value as { [RAW]: string })[RAW]}` : JSON.stringify(value) ?? String(value);
    return text.length > 40 ? `${text.slice(0, 37)}...(${text.length})` : text;
  }

  async function send(method: string, path: string, pathValues: Record<string, string>, query: Record<string, string>, body: unknown) {
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => pathValues[name] ?? encodeURIComponent(baselinePath(name)));
    const qs = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&');
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (path === '/api/v1/telemetry') headers['x-api-key'] = device.accessToken;
    if (path === '/api/v1/{token}/telemetry' || path === '/api/v1/telemetry') delete headers.authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${vigil.http}${url}${qs ? `?${qs}` : ''}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.text() };
  }

  test('fuzz the OpenAPI document', async () => {
    const doc = (await (await fetch(`${vigil.http}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
    const failures: Outcome[] = [];
    const unnamed: Outcome[] = [];
    let requests = 0;
    // Deleting routes last, so the baseline device and policies exist while the others are fuzzed.
    const routes = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })))
      .sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    assert.ok(routes.length >= 30, `the document lists ${routes.length} operations`);

    for (const { path, method, op } of routes) {
      const params = (op.parameters ?? []).filter((p) => p.in === 'query' || p.in === 'path');
      const baseQuery: Record<string, string> = {};
      for (const p of params) {
        const v = p.in === 'query' ? baselineQuery(p.name) : undefined;
        if (v !== undefined) baseQuery[p.name] = encodeURIComponent(v);
      }
      const baseBody = baselineBody(method, path, op.requestBody?.content['application/json']?.schema);
      const record = (where: string, name: string, value: unknown, result: { status: number; body: string }) => {
        const kind = where.split(':')[0] as 'query' | 'path' | 'body';
        requests++;
        const failure = { route: `${method} ${path}`, where, value: show(value), status: result.status, body: result.body.slice(0, 300) };
        if (result.status >= 500) failures.push(failure);
        // A 400 is a problem document that names what was wrong.
        if (result.status === 400 && !isProblemNaming(result.body, name, kind)) unnamed.push(failure);
      };

      for (const p of params) {
        await inParallel(
          HOSTILE_TEXT.filter((value) => !(p.in === 'path' && value === '')), // an empty segment is another route
          async (value) => {
            const result =
              p.in === 'path'
                ? await send(method, path, { [p.name]: encode(value) }, baseQuery, baseBody)
                : await send(method, path, {}, { ...baseQuery, [p.name]: encode(value) }, baseBody);
            record(`${p.in}:${p.name}`, p.name, value, result);
          },
        );
      }
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      if (bodySchema?.properties && baseBody && typeof baseBody === 'object') {
        for (const field of Object.keys(bodySchema.properties)) {
          await inParallel(HOSTILE_JSON, async (value) => {
            const result = await send(method, path, {}, baseQuery, { ...(baseBody as object), [field]: value });
            record(`body:${field}`, field, value, result);
          });
        }
      }
    }

    assert.ok(requests > 1000, `${requests} requests sent`);
    assert.equal(vigil.child.exitCode, null, 'the process is still running');
    const ready = await fetch(`${vigil.http}/ready`);
    assert.equal(ready.status, 200);
    const list = (outcomes: Outcome[]) => outcomes.map((f) => `${f.route} ${f.where}=${f.value} -> ${f.status} ${f.body}`).join('\n');
    assert.deepEqual(failures, [], `${failures.length} of ${requests} requests answered 5xx:\n${list(failures)}`);
    assert.deepEqual(unnamed, [], `${unnamed.length} 400 answers do not name the parameter:\n${list(unnamed)}`);
  });
});
