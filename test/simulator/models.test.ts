import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS, assignTypes, parseMix, PRESETS, type Values } from '../../src/simulator/models.js';
import { FaultInjector } from '../../src/simulator/faults.js';
import { Rng } from '../../src/simulator/rng.js';

const T0 = Date.UTC(2026, 0, 1);

function runModel(type: string, hours: number, stepSec: number, health: (i: number) => number = () => 1, seed = 1) {
  const model = MODELS[type]!;
  const rng = new Rng(seed);
  const state = model.init(rng);
  const out: { ts: number; v: Values }[] = [];
  const n = Math.round((hours * 3600) / stepSec);
  for (let i = 0; i < n; i++) {
    const ts = T0 + i * stepSec * 1000;
    out.push({ ts, v: model.step(state, { nowMs: ts, dtSec: stepSec, rng, health: health(i) }) });
  }
  return { out, state, model };
}

const series = (rows: { v: Values }[], key: string) => rows.map((r) => r.v[key]).filter((x): x is number => typeof x === 'number');

describe('simulator - device physics', () => {
  test('env sensor: plausible temperature and humidity with a daily cycle', () => {
    const { out } = runModel('env-sensor', 48, 60);
    const t = series(out, 'temperature');
    const h = series(out, 'humidity');
    assert.ok(t.every((x) => x > 5 && x < 40), 'temperature in a room range');
    assert.ok(h.every((x) => x >= 0 && x <= 100), 'humidity is a percentage');
    assert.ok(Math.max(...t) - Math.min(...t) > 1.5, 'the day shows in the temperature');
    // Warmest in the afternoon, coolest at night.
    const at = (hour: number) => t[hour * 60]!;
    assert.ok(at(15) > at(3));
  });

  test('meter: the energy counter never goes backwards and follows the power', () => {
    const { out } = runModel('meter', 24, 30);
    const e = series(out, 'energy');
    for (let i = 1; i < e.length; i++) assert.ok(e[i]! >= e[i - 1]!);
    const p = series(out, 'power');
    const meanKw = p.reduce((a, b) => a + b, 0) / p.length / 1000;
    assert.ok(Math.abs(e[e.length - 1]! - e[0]! - meanKw * 24) / (meanKw * 24) < 0.05);
  });

  test('pump: wear raises vibration and bearing temperature, then the motor fails', () => {
    const healthy = runModel('pump', 2, 10);
    const n = healthy.out.length;
    const worn = runModel('pump', 2, 10, (i) => 1 - i / (n * 0.9));
    const running = (rows: { v: Values }[]) => rows.filter((r) => r.v.running === true);
    const last = (rows: { v: Values }[], key: string) => series(running(rows).slice(-60), key);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const hv = series(running(healthy.out), 'vibration');
    assert.ok(mean(hv) > 1 && mean(hv) < 3, `healthy vibration ${mean(hv)} mm/s`);
    const wornRunning = worn.out.slice(0, Math.floor(n * 0.85));
    assert.ok(mean(last(wornRunning, 'vibration')) > 2 * mean(hv));
    assert.ok(mean(last(wornRunning, 'bearingTemp')) > mean(last(healthy.out, 'bearingTemp')));
    assert.ok(worn.out.some((r) => r.v.fault === 'bearing_failure'));
    const after = worn.out.slice(-10);
    assert.ok(after.every((r) => r.v.running === false && r.v.current === 0));
  });

  test('thermostat: follows its set point and obeys RPC and shared attributes', () => {
    const model = MODELS.thermostat!;
    const rng = new Rng(3);
    const s = model.init(rng);
    assert.deepEqual(model.rpc!(s, 'setSetpoint', { value: 23 }), { setpoint: 23 });
    assert.ok((model.rpc!(s, 'setSetpoint', { value: 99 }) as { error?: string }).error);
    let v: Values = {};
    for (let i = 0; i < 6 * 60; i++) v = model.step(s, { nowMs: T0 + i * 60_000, dtSec: 60, rng, health: 1 });
    assert.ok(Math.abs((v.temperature as number) - 23) < 1.5, `temperature ${v.temperature}`);
    model.attributes!(s, { targetTemperature: 18, mode: 'eco' });
    for (let i = 0; i < 6 * 60; i++) v = model.step(s, { nowMs: T0 + i * 60_000, dtSec: 60, rng, health: 1 });
    assert.equal(v.setpoint, 18);
    assert.equal(v.mode, 'eco');
    assert.ok((v.temperature as number) < 19.5);
  });

  test('door lock reports events; air quality stays in physical ranges', () => {
    const { out } = runModel('door-lock', 24, 10);
    const events = out.map((r) => r.v.event).filter(Boolean);
    assert.ok(events.length > 5);
    assert.ok(events.every((e) => ['locked', 'unlocked', 'access_denied'].includes(e as string)));
    const aq = runModel('air-quality', 24, 60).out;
    assert.ok(series(aq, 'co2').every((x) => x > 300 && x < 5000));
    assert.ok(series(aq, 'pm25').every((x) => x >= 0));
  });

  test('presets and custom mixes assign types in proportion', () => {
    const types = assignTypes(PRESETS.factory!, 10);
    assert.equal(types.filter((t) => t === 'pump').length, 5);
    assert.deepEqual(parseMix('pump=3,meter=1'), { pump: 3, meter: 1 });
    assert.throws(() => parseMix('toaster=1'), /unknown device type/);
  });
});

describe('simulator - fault injection', () => {
  test('the labels cover exactly the samples that were altered', () => {
    const model = MODELS['env-sensor']!;
    const rng = new Rng(11);
    const state = model.init(rng);
    const injector = new FaultInjector('dev-1', model, new Rng(12), 120, ['spike', 'drift', 'stuck', 'noise_burst', 'dropout']);
    const altered: { ts: number; key: string | null }[] = [];
    for (let i = 0; i < 20_000; i++) {
      const ts = T0 + i * 1000;
      const clean = model.step(state, { nowMs: ts, dtSec: 1, rng, health: 1 });
      const out = injector.apply(ts, 1, clean);
      if (out === null) altered.push({ ts, key: null });
      else for (const k of model.numericKeys) if (out[k] !== clean[k]) altered.push({ ts, key: k });
    }
    injector.finish();
    const labels = injector.labels;
    const kinds = new Set(labels.map((l) => l.kind));
    assert.ok(labels.length > 10, `${labels.length} faults`);
    for (const k of ['spike', 'drift', 'stuck', 'noise_burst', 'dropout']) assert.ok(kinds.has(k as never), `has ${k}`);
    for (const a of altered) {
      const hit = labels.find((l) => a.ts >= l.startTs && a.ts <= l.endTs && (a.key === null ? l.kind === 'dropout' : l.key === a.key));
      assert.ok(hit, `altered sample at ${a.ts} (${a.key}) has a label`);
    }
    for (const l of labels) {
      if (l.kind === 'stuck') continue; // a stuck value may equal the clean one at its start
      const inside = altered.filter((a) => a.ts >= l.startTs && a.ts <= l.endTs).length;
      assert.ok(inside >= 1, `label ${l.kind} at ${l.startTs} altered something`);
      if (!l.truncated) assert.equal(l.endTs - l.startTs, (Number(l.params.samples) - 1) * 1000);
    }
  });

  test('degradation lowers health to a failure with its time recorded', () => {
    const model = MODELS.pump!;
    const injector = new FaultInjector('pump-1', model, new Rng(5), 360, ['degradation']);
    const rng = new Rng(6);
    const state = model.init(rng);
    let failedAt = 0;
    for (let i = 0; i < 5_000 && !failedAt; i++) {
      const ts = T0 + i * 1000;
      const v = injector.apply(ts, 1, model.step(state, { nowMs: ts, dtSec: 1, rng, health: injector.health }));
      if (v?.fault) failedAt = ts;
    }
    const label = injector.labels[0]!;
    assert.equal(label.kind, 'degradation');
    assert.ok(label.failureTs, 'failure time recorded');
    assert.ok(failedAt >= label.failureTs! && failedAt <= label.failureTs! + 1000);
  });

  test('same seed, same faults', () => {
    const make = () => {
      const inj = new FaultInjector('d', MODELS.meter!, new Rng(9), 200);
      const rng = new Rng(10);
      const s = MODELS.meter!.init(rng);
      for (let i = 0; i < 3000; i++) inj.apply(T0 + i * 1000, 1, MODELS.meter!.step(s, { nowMs: T0 + i * 1000, dtSec: 1, rng, health: 1 }));
      return inj.labels;
    };
    assert.deepEqual(make(), make());
  });
});
