import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, step, statistic, type RuleInput, type RuleLogic } from '../../src/domains/rules/evaluate.js';
import { parseRule } from '../../src/domains/rules/rule-parse.js';
import { cronMatches, parseCron } from '../../src/domains/rules/cron.js';

const MIN = 60_000;
const pt = (ts: number, value: number, key = 'temperature', deviceId = 'd1'): RuleInput => ({ kind: 'point', deviceId, key, ts, value });
const tick = (now: number): RuleInput => ({ kind: 'tick', now });
const verdict = (ts: number, score: number, keys = ['temperature']): RuleInput => ({ kind: 'verdict', deviceId: 'd1', keys, ts, score });
const estimate = (ts: number, timeToFailureMs: number): RuleInput => ({ kind: 'estimate', deviceId: 'd1', ts, timeToFailureMs });

/** Runs inputs through a rule and returns the events as "fire@t" / "clear@t". */
function run(rule: unknown, inputs: RuleInput[], startedAt: number | null = null): string[] {
  const spec = parseRule(rule);
  const logic: RuleLogic = { condition: spec.condition, cooldownMs: spec.cooldownMs };
  let state = initialState(startedAt);
  const out: string[] = [];
  for (const input of inputs) {
    const r = step(logic, state, input);
    state = r.state;
    for (const e of r.events) out.push(`${e.kind}@${e.at}`);
  }
  return out;
}

const threshold = (extra: Record<string, unknown> = {}) => ({
  name: 'hot',
  condition: { type: 'threshold', key: 'temperature', operator: '>', value: 80, ...extra },
});

const cases: { name: string; rule: unknown; inputs: RuleInput[]; startedAt?: number; expect: string[] }[] = [
  { name: 'threshold fires on the first point over the limit', rule: threshold(), inputs: [pt(0, 70), pt(1000, 81)], expect: ['fire@1000'] },
  { name: 'threshold clears when the condition stops holding', rule: threshold(), inputs: [pt(0, 81), pt(1000, 85), pt(2000, 79)], expect: ['fire@0', 'clear@2000'] },
  {
    name: 'threshold with duration fires only after holding for the whole duration',
    rule: threshold({ durationMs: '5m' }),
    inputs: [pt(0, 81), pt(2 * MIN, 85), pt(4 * MIN, 82), pt(5 * MIN, 90)],
    expect: ['fire@300000'],
  },
  {
    name: 'threshold with duration restarts when the value dips',
    rule: threshold({ durationMs: '5m' }),
    inputs: [pt(0, 81), pt(3 * MIN, 70), pt(4 * MIN, 81), pt(8 * MIN, 82), pt(9 * MIN, 83)],
    expect: ['fire@540000'],
  },
  {
    name: 'threshold with duration fires on time from the clock when no point follows',
    rule: threshold({ durationMs: '5m' }),
    inputs: [pt(0, 81), tick(4 * MIN), tick(5 * MIN + 10)],
    expect: ['fire@300000'],
  },
  {
    name: 'alarm clears after hysteresis, not on the first value under the limit',
    rule: threshold({ clear: { operator: '<', value: 75 } }),
    inputs: [pt(0, 81), pt(1000, 79), pt(2000, 76), pt(3000, 74)],
    expect: ['fire@0', 'clear@3000'],
  },
  {
    name: 'cooldown keeps a flapping value from re-opening the alarm',
    rule: { ...threshold(), cooldownMs: '1m' },
    inputs: [pt(0, 81), pt(1000, 70), pt(2000, 81), pt(61_000, 82)],
    expect: ['fire@0', 'clear@1000', 'fire@61000'],
  },
  {
    name: 'inactivity fires on the clock after the last point and clears on the next one',
    rule: { name: 'silent', condition: { type: 'inactivity', durationMs: '10m' } },
    inputs: [pt(0, 1, 'any'), tick(9 * MIN), tick(10 * MIN), pt(11 * MIN, 1, 'other')],
    expect: ['fire@600000', 'clear@660000'],
  },
  {
    name: 'inactivity of one key ignores other keys',
    rule: { name: 'silent', condition: { type: 'inactivity', key: 'temperature', durationMs: '10m' } },
    inputs: [pt(0, 1), pt(5 * MIN, 1, 'humidity'), tick(10 * MIN)],
    expect: ['fire@600000'],
  },
  {
    name: 'inactivity counts from the rule start for a device that never sent anything',
    rule: { name: 'silent', condition: { type: 'inactivity', durationMs: '1m' } },
    startedAt: 1000,
    inputs: [tick(30_000), tick(61_000)],
    expect: ['fire@61000'],
  },
  {
    name: 'statistical average over a sliding window',
    rule: { name: 'avg', condition: { type: 'statistical', key: 'temperature', function: 'avg', windowMs: '1m', operator: '>', value: 50 } },
    inputs: [pt(0, 40), pt(20_000, 60), pt(40_000, 70), pt(70_000, 40), pt(100_000, 30)],
    // avg 40, 50, 56.7 (fire), then 0..: window (10s,70s] = 60,70,40 → 56.7, then (40s,100s] = 40,30 → 35 (clear)
    expect: ['fire@40000', 'clear@100000'],
  },
  {
    name: 'statistical rate of change per second',
    rule: { name: 'rate', condition: { type: 'statistical', key: 'temperature', function: 'rate', windowMs: '1m', operator: '>', value: 1 } },
    inputs: [pt(0, 10), pt(10_000, 15), pt(20_000, 40)],
    expect: ['fire@20000'],
  },
  {
    name: 'statistical count over the window',
    rule: { name: 'count', condition: { type: 'statistical', key: 'temperature', function: 'count', windowMs: '10s', operator: '>=', value: 3 } },
    inputs: [pt(0, 1), pt(1000, 1), pt(2000, 1), pt(20_000, 1)],
    expect: ['fire@2000', 'clear@20000'],
  },
  {
    name: 'comparison between two keys of one device',
    rule: { name: 'delta', condition: { type: 'comparison', left: { key: 'inlet' }, right: { key: 'outlet' }, operator: '>', value: 10 } },
    inputs: [pt(0, 50, 'inlet'), pt(1, 45, 'outlet'), pt(2, 60, 'inlet'), pt(3, 52, 'outlet')],
    expect: ['fire@2', 'clear@3'],
  },
  {
    name: 'comparison across devices',
    rule: { name: 'x', condition: { type: 'comparison', left: { deviceId: 'a', key: 't' }, right: { deviceId: 'b', key: 't' }, operator: '>', value: 0 } },
    inputs: [pt(0, 10, 't', 'a'), pt(1, 20, 't', 'c'), pt(2, 5, 't', 'b')],
    expect: ['fire@2'],
  },
  {
    name: 'schedule checks the latest value at each cron minute',
    rule: { name: 's', condition: { type: 'schedule', cron: '*/5 * * * *', key: 'temperature', operator: '>', value: 80 } },
    inputs: [pt(0, 90), tick(MIN), tick(5 * MIN + 1), tick(5 * MIN + 30_000), pt(6 * MIN, 10), tick(10 * MIN)],
    expect: ['fire@300000', 'clear@600000'],
  },
  {
    name: 'anomaly fires on a verdict scored at or above 1 − sensitivity and clears after a quiet spell',
    rule: { name: 'a', condition: { type: 'anomaly', sensitivity: 0.2, keys: ['temperature'], clearAfterMs: '10m' } },
    inputs: [
      verdict(0, 0.7), // below 0.8: ignored
      verdict(MIN, 0.9, ['pressure']), // another key: ignored
      verdict(2 * MIN, 0.85),
      verdict(5 * MIN, 0.95), // prolongs the episode
      tick(14 * MIN),
      tick(15 * MIN),
    ],
    expect: ['fire@120000', 'clear@900000'],
  },
  {
    name: 'predicted failure fires while the estimate is within the horizon and clears beyond it',
    rule: { name: 'p', condition: { type: 'predicted_failure', withinMs: '12h' } },
    inputs: [estimate(0, 20 * 3_600_000), estimate(MIN, 11 * 3_600_000), estimate(2 * MIN, 5 * 3_600_000), estimate(3 * MIN, Infinity)],
    expect: ['fire@60000', 'clear@180000'],
  },
  {
    name: 'points never move model rules',
    rule: { name: 'p', condition: { type: 'predicted_failure', withinMs: '1h' } },
    inputs: [pt(0, 1), tick(10 * MIN)],
    expect: [],
  },
];

for (const c of cases) {
  test(`rules - ${c.name}`, () => {
    assert.deepEqual(run(c.rule, c.inputs, c.startedAt ?? null), c.expect);
  });
}

test('rules - statistics on a fixed series', () => {
  const w: [number, number][] = [[0, 2], [1000, 4], [2000, 4], [3000, 4], [4000, 5], [5000, 5], [6000, 7], [7000, 9]];
  assert.equal(statistic('avg', w), 5);
  assert.equal(statistic('stddev', w), 2);
  assert.equal(statistic('min', w), 2);
  assert.equal(statistic('max', w), 9);
  assert.equal(statistic('count', w), 8);
  assert.equal(statistic('rate', w), 1);
});

test('cron - matches steps, ranges and lists in UTC', () => {
  const s = parseCron('0,30 8-18/2 * * 1-5');
  assert.ok(typeof s !== 'string');
  assert.equal(cronMatches(s, Date.UTC(2026, 11, 1, 8, 30)), true); // a Tuesday
  assert.equal(cronMatches(s, Date.UTC(2026, 11, 1, 9, 30)), false);
  assert.equal(cronMatches(s, Date.UTC(2026, 11, 6, 8, 0)), false); // Sunday
  assert.match(parseCron('*/5 * * *') as string, /5 fields/);
  assert.match(parseCron('61 * * * *') as string, /minute field "61" is outside 0-59/);
  assert.match(parseCron('* * * * mon') as string, /day of week field "mon"/);
});

test('rule evaluation - a running average matches the window recomputed, also for a state saved without its sum', () => {
  const spec = parseRule({ name: 'avg', condition: { type: 'statistical', key: 'temperature', function: 'avg', windowMs: '10s', operator: '>', value: 50 } });
  const logic: RuleLogic = { condition: spec.condition, cooldownMs: 0 };
  let state = initialState();
  for (let i = 0; i < 200; i++) {
    if (i === 120) state = JSON.parse(JSON.stringify({ ...state, windowSum: undefined })); // as restored from an older save
    const ts = i * 700 + (i % 3) * 200;
    const value = (i * 37) % 101 + 0.1 * (i % 7);
    const { state: next, events } = step(logic, state, pt(ts, value));
    state = next;
    const direct = statistic('avg', state.window)!;
    assert.ok(Math.abs(state.windowSum! / state.window.length - direct) < 1e-9, `point ${i}`);
    for (const e of events) assert.ok(e.value === null || Math.abs(e.value - direct) < 1e-9);
  }
  assert.ok(state.window.every(([ts]) => ts > 199 * 700 - 10_000), 'only the last 10 s are kept');
});
