import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRule } from '../../src/domains/rules/rule-parse.js';
import { AppError } from '../../src/errors.js';

function problems(input: unknown): { field: string; message: string }[] {
  try {
    parseRule(input);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.statusCode, 422);
    return (err.details as { problems: { field: string; message: string }[] }).problems;
  }
  assert.fail('expected the rule to be refused');
}

test('rule parse - the plain console form becomes a threshold rule with a duration in seconds', () => {
  const spec = parseRule({
    type: 'threshold',
    condition: { key: 'temperature', operator: '>', value: 50, duration_seconds: 300 },
    action: { type: 'alert', severity: 'warning', message: 'High temperature' },
  });
  assert.deepEqual(spec.condition, { type: 'threshold', key: 'temperature', operator: '>', value: 50, durationMs: 300_000, clear: null });
  assert.equal(spec.severity, 'warning');
  assert.equal(spec.message, 'High temperature');
  assert.equal(spec.name, 'High temperature');
  assert.deepEqual(spec.target, { deviceId: null, deviceType: null, labels: null });
});

test('rule parse - plain comparison, statistical, schedule and webhook/email/mqtt actions', () => {
  const cmp = parseRule({
    type: 'comparison',
    condition: { left: { device_id: 'a', key: 'inlet' }, right: { device_id: 'b', key: 'outlet' }, operator: '>', value: 10 },
    action: [{ type: 'alert', severity: 'major', message: 'delta' }, { type: 'webhook', url: 'http://example.test/hook' }],
  });
  assert.deepEqual(cmp.condition, { type: 'comparison', left: { deviceId: 'a', key: 'inlet' }, right: { deviceId: 'b', key: 'outlet' }, operator: '>', value: 10 });
  assert.deepEqual(cmp.actions, [{ type: 'webhook', url: 'http://example.test/hook' }]);
  const stat = parseRule({ type: 'statistical', condition: { key: 'p', function: 'stddev', window: 600, operator: '>', value: 3 }, action: { type: 'email', to: 'ops@example.test' } });
  assert.equal(stat.condition.type === 'statistical' && stat.condition.windowMs, 600_000);
  assert.deepEqual(stat.actions, [{ type: 'email', to: ['ops@example.test'] }]);
  const sched = parseRule({ type: 'schedule', condition: { cron: '0 * * * *', key: 'level', operator: '<', value: 5 }, action: { type: 'mqtt', topic: 'alerts/level' } });
  assert.equal(sched.condition.type, 'schedule');
});

test('rule parse - Vigil form with durations as text and defaults', () => {
  const spec = parseRule({ name: 'boiler', target: { deviceType: 'boiler' }, condition: { type: 'threshold', key: 't', operator: '>=', value: 80, durationMs: '5m' } });
  assert.equal(spec.condition.type === 'threshold' && spec.condition.durationMs, 300_000);
  assert.deepEqual(spec.target, { deviceId: null, deviceType: 'boiler', labels: null });
  assert.equal(spec.enabled, true);
  assert.equal(spec.cooldownMs, 0);
});

test('rule parse - bad input names the field', () => {
  assert.deepEqual(problems({ name: 'x', condition: { type: 'threshold', key: 't', operator: '=>', value: 1 } }).map((p) => p.field), ['condition.operator']);
  assert.match(problems({ name: 'x', condition: { type: 'threshold', key: 't', operator: '=>', value: 1 } })[0]!.message, /unknown operator "=>"/);
  const duration = problems({ type: 'threshold', condition: { key: 't', operator: '>', value: 1, duration_seconds: -5 }, action: { type: 'alert' } });
  assert.equal(duration[0]!.field, 'condition.duration_seconds');
  assert.match(duration[0]!.message, /impossible duration/);
  const window = problems({ name: 'x', condition: { type: 'statistical', key: 't', function: 'avg', windowMs: '400d', operator: '>', value: 1 } });
  assert.equal(window[0]!.field, 'condition.windowMs');
  const cron = problems({ type: 'schedule', condition: { cron: '*/5 * * *', key: 'k', operator: '>', value: 1 }, action: { type: 'alert' } });
  assert.equal(cron[0]!.field, 'condition.cron');
  assert.match(cron[0]!.message, /5 fields/);
  const type = problems({ name: 'x', condition: { type: 'magic', key: 't' } });
  assert.match(type[0]!.message, /unknown rule type "magic"/);
  const fn = problems({ name: 'x', condition: { type: 'statistical', key: 't', function: 'median', windowMs: '1m', operator: '>', value: 1 } });
  assert.equal(fn[0]!.field, 'condition.function');
  assert.equal(problems({ name: 'x', condition: { type: 'threshold', key: 't', operator: '>', value: 1 }, severity: 'meh' })[0]!.field, 'severity');
  assert.equal(problems({ name: 'x', condition: { type: 'threshold', key: 't', operator: '>', value: 1 }, bogus: 1 })[0]!.field, '(body)');
  const half = problems({ type: 'comparison', condition: { left: { device_id: 'a', key: 't' }, right: { key: 't' }, operator: '>' }, action: { type: 'alert' } });
  assert.equal(half[0]!.field, 'condition.right.device_id');
});
