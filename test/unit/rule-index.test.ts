import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuleIndex } from '../../src/domains/rules/rule-index.js';
import type { Condition, Rule } from '../../src/domains/rules/rule.js';

function rule(id: string, target: Rule['target'], condition: Condition, tenantId = 't'): Rule {
  return { id, tenantId, version: 1, name: id, target, condition, severity: 'warning', message: '', cooldownMs: 0, actions: [], enabled: true, createdAt: 0, updatedAt: 0 };
}
const threshold = (key: string): Condition => ({ type: 'threshold', key, operator: '>', value: 1, durationMs: 0, clear: null });
const none = { deviceId: null, deviceType: null };

/** Rule ids a point of (device, key) goes through. */
async function routed(index: RuleIndex, deviceId: string, key: string, type: string | null = null, tenantId = 't', labels: Record<string, string> = {}): Promise<string[]> {
  const indexes = await index.forDevice(tenantId, deviceId, async () => (type === null ? null : { type, labels }));
  return indexes.flatMap((i) => [...(i.get(key) ?? []), ...(i.get('') ?? [])]).map((r) => r.id).sort();
}

test('rule index - a point reaches only the rules that target its device, type or tenant, by key', async () => {
  const index = new RuleIndex();
  index.add(rule('dev', { deviceId: 'd1', deviceType: null }, threshold('temp')));
  index.add(rule('type', { deviceId: null, deviceType: 'boiler' }, threshold('temp')));
  index.add(rule('all', none, threshold('hum')));
  index.add(rule('silent', none, { type: 'inactivity', key: null, durationMs: 1 }));
  index.add(rule('cross', none, { type: 'comparison', left: { deviceId: 'd1', key: 'temp' }, right: { deviceId: 'd2', key: 'temp' }, operator: '>', value: 0 }));
  index.add(rule('other-tenant', none, threshold('temp'), 'u'));
  assert.deepEqual(await routed(index, 'd1', 'temp', 'boiler'), ['cross', 'dev', 'silent', 'type']);
  assert.deepEqual(await routed(index, 'd2', 'temp', 'pump'), ['cross', 'silent']);
  assert.deepEqual(await routed(index, 'd3', 'hum'), ['all', 'silent']);
  assert.deepEqual(await routed(index, 'd3', 'temp', null, 'u'), ['other-tenant']);
  index.remove(rule('cross', none, { type: 'comparison', left: { deviceId: 'd1', key: 'temp' }, right: { deviceId: 'd2', key: 'temp' }, operator: '>', value: 0 }));
  index.remove(rule('dev', { deviceId: 'd1', deviceType: null }, threshold('temp')));
  assert.deepEqual(await routed(index, 'd1', 'temp', 'boiler'), ['silent', 'type']);
});

test('rule index - the device type is looked up only when the tenant has rules by type', async () => {
  const index = new RuleIndex();
  index.add(rule('all', none, threshold('temp')));
  let lookups = 0;
  await index.forDevice('t', 'd1', async () => {
    lookups++;
    return { type: 'x', labels: {} };
  });
  assert.equal(lookups, 0);
});

test('rule index - label targets reach devices carrying every label (and the type, when given)', async () => {
  const index = new RuleIndex();
  index.add(rule('north', { deviceId: null, deviceType: null, labels: { site: 'north' } }, threshold('temp')));
  index.add(rule('north-boilers', { deviceId: null, deviceType: 'boiler', labels: { site: 'north' } }, threshold('temp')));
  index.add(rule('north-2', { deviceId: null, deviceType: null, labels: { site: 'north', floor: '2' } }, threshold('temp')));
  index.add(rule('model', { deviceId: null, deviceType: null, labels: { site: 'north' } }, { type: 'anomaly', sensitivity: 0.2, keys: null, clearAfterMs: 1 }));
  assert.deepEqual(await routed(index, 'd1', 'temp', 'boiler', 't', { site: 'north', floor: '2' }), ['north', 'north-2', 'north-boilers']);
  assert.deepEqual(await routed(index, 'd2', 'temp', 'pump', 't', { site: 'north' }), ['north']);
  assert.deepEqual(await routed(index, 'd3', 'temp', 'boiler', 't', { site: 'south' }), []);
  index.remove(rule('north', { deviceId: null, deviceType: null, labels: { site: 'north' } }, threshold('temp')));
  assert.deepEqual(await routed(index, 'd2', 'temp', 'pump', 't', { site: 'north' }), []);
});

test('rule index - a device is matched against the selectors once, again after its labels change or a rule comes', async () => {
  const index = new RuleIndex();
  index.add(rule('cell', { deviceId: null, deviceType: null, labels: { cell: 'a' } }, threshold('temp')));
  let labels: Record<string, string> = { cell: 'a' };
  let lookups = 0;
  const facts = async () => (lookups++, { type: 'pump', labels });
  const ids = async () => (await index.forDevice('t', 'd1', facts)).flatMap((i) => i.get('temp') ?? []).map((r) => r.id);
  assert.deepEqual(await ids(), ['cell']);
  assert.deepEqual(await ids(), ['cell']);
  assert.equal(lookups, 1, 'the second batch reuses the match');
  labels = { cell: 'b' };
  assert.deepEqual(await ids(), ['cell'], 'not looked at again until told');
  index.deviceChanged('d1');
  assert.deepEqual(await ids(), []);
  index.add(rule('cell-b', { deviceId: null, deviceType: null, labels: { cell: 'b' } }, threshold('temp')));
  assert.deepEqual(await ids(), ['cell-b']);
  assert.equal(lookups, 3);
});
