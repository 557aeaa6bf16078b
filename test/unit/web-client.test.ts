import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { OPENAPI_PATH, WEB_CLIENT_PATH, operationName, renderWebClient, typeOf } from '../../scripts/gen-web-client.js';

test('web client - generated file matches docs/openapi.json (run `npm run gen:web-client` after changing routes)', async () => {
  const doc = JSON.parse(await readFile(OPENAPI_PATH, 'utf8'));
  const current = await readFile(WEB_CLIENT_PATH, 'utf8');
  assert.ok(current === renderWebClient(doc), 'web/src/api/generated.ts is stale: run `npm run gen:web-client` and commit it');
});

test('web client - names operations after method and path, path parameters as By<Name>', () => {
  assert.equal(operationName('get', '/api/v1/devices/{id}/telemetry'), 'getDevicesByIdTelemetry');
  assert.equal(operationName('post', '/api/v1/alarms/{id}/acknowledge'), 'postAlarmsByIdAcknowledge');
  assert.equal(operationName('get', '/health'), 'getHealth');
});

test('web client - maps JSON schema to TypeScript types', () => {
  assert.equal(typeOf({ type: 'integer', nullable: true }), 'number | null');
  assert.equal(typeOf({ anyOf: [{ type: 'string', enum: ['a'] }, { type: 'string', enum: ['b'] }] }), '"a" | "b"');
  assert.equal(typeOf({ type: 'array', items: { type: 'string' } }), 'string[]');
  assert.equal(
    typeOf({ type: 'object', required: ['a'], properties: { a: { type: 'number' }, 'b-c': { type: 'boolean' } } }),
    '{\n  a: number;\n  "b-c"?: boolean;\n}',
  );
  assert.equal(typeOf({ type: 'object', additionalProperties: { type: 'string' } }), '{\n  [key: string]: string;\n}');
});
