import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDetector, restoreDetector } from '../../src/domains/analytics/detectors/index.js';

/** A pump that starts and stops; its bearing temperature is a first-order lag of the current. */
function pump(points: number, brokenFrom = Infinity) {
  let seed = 5;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  let bearing = 25;
  const rows: number[][] = [];
  for (let i = 0; i < points; i++) {
    const running = i % 90 < 60;
    const current = running ? 8 + 0.3 * (rnd() - 0.5) : 0;
    const target = 22 + 2 * current + (i >= brokenFrom ? 6 : 0); // a failing bearing heats more
    bearing += (target - bearing) * 0.1;
    rows.push([current, Math.round(bearing * 100) / 100]);
  }
  return rows;
}

test('relational: a bearing temperature that follows the run state through starts and stops is normal', () => {
  const rows = pump(3000);
  const rel = createDetector('relational', ['current', 'bearingTemp'], { fitPoints: 400 });
  let relAlarms = 0;
  rows.forEach((r, i) => {
    if (rel.update(i * 60_000, r).alarm) relAlarms++;
  });
  assert.equal(relAlarms, 0);
});

test('relational: a broken relation (bearing heats without more current) alarms on the bearing; the model survives a snapshot', () => {
  const rows = pump(2000, 1500);
  const rel = createDetector('relational', ['current', 'bearingTemp'], { fitPoints: 400 });
  rows.slice(0, 1000).forEach((r, i) => rel.update(i * 60_000, r));
  const again = restoreDetector(JSON.parse(JSON.stringify(rel.snapshot())));
  const alarms: { i: number; key?: string }[] = [];
  rows.slice(1000).forEach((r, n) => {
    const res = again.update((1000 + n) * 60_000, r);
    if (res.alarm) alarms.push({ i: 1000 + n, key: res.explanation?.key });
  });
  assert.ok(alarms.length >= 1, 'the broken relation alarms');
  assert.ok(alarms.every((a) => a.i >= 1500 && a.i < 1540), `alarms at ${JSON.stringify(alarms)}`);
  assert.equal(alarms[0].key, 'bearingTemp');
});

test('relational: only the key it judges (the bearing) carries a drift check; a bearing drifting from what the current explains alarms on the bearing', () => {
  const rows = pump(4000);
  const rel = createDetector('relational', ['current', 'bearingTemp'], { fitPoints: 400 });
  const alarms: { i: number; key?: string }[] = [];
  rows.forEach((r, i) => {
    // 0.01 °C per minute for 300 minutes: each step is below the rounding of most sensors.
    const drift = i >= 3000 && i < 3300 ? (i - 3000) * 0.01 : 0;
    const res = rel.update(i * 60_000, [r[0]!, Math.round((r[1]! + drift) * 100) / 100]);
    if (res.alarm) alarms.push({ i, key: res.explanation?.key });
  });
  // On this duty cycle the residual's start/stop transients set a high drift limit: the ramp is
  // reported at the latest by the jump back at its end (the fleet's pump drifts are steeper).
  assert.ok(alarms.length >= 1 && alarms.every((a) => a.i >= 3000 && a.i < 3360), `alarms at ${JSON.stringify(alarms)}`);
  assert.equal(alarms[0]!.key, 'bearingTemp');
  const core = rel.snapshot().core as { drift?: unknown[] };
  assert.deepEqual(core.drift?.map((d) => d !== null), [false, true], 'only the explained key (the bearing) carries a drift check');
  const again = restoreDetector(JSON.parse(JSON.stringify(rel.snapshot())));
  assert.deepEqual((again.snapshot().core as { drift?: unknown[] }).drift, core.drift);
});

/** An energy meter: power with a slow random wander, and the kWh counter that integrates it (to 0.0001 kWh). */
function meter(points: number, faults: (i: number) => number = () => 0) {
  let seed = 11;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  let noise = 0;
  let kwh = 1234.5;
  const rows: number[][] = [];
  for (let i = 0; i < points; i++) {
    noise = 0.8 * noise + 0.1 * (rnd() - 0.5);
    const power = Math.round(1500 * (1 + 0.3 * Math.sin((2 * Math.PI * i) / 1440) + noise));
    kwh += (power * 60) / 3_600_000;
    rows.push([Math.round(kwh * 10_000) / 10_000, power + faults(i)]);
  }
  return rows;
}

test('relational: a counter (kWh) is modelled by its rate, a witness of the power it integrates; a power spike alarms on the power, also after a snapshot', () => {
  // (After a few thousand points: the surprise statistics carry the fit's start-up for a while.)
  const spikes = new Set([4000, 4700, 4710]);
  const rows = meter(5000, (i) => (spikes.has(i) ? 1500 : i >= 4300 && i < 4340 ? (i % 2 ? 900 : -900) : 0));
  let rel = createDetector('relational', ['energy', 'power'], { fitPoints: 400 });
  const alarms: { i: number; key?: string }[] = [];
  rows.forEach((r, i) => {
    if (i === 1000) rel = restoreDetector(JSON.parse(JSON.stringify(rel.snapshot())));
    const res = rel.update(i * 60_000, r);
    if (res.alarm) alarms.push({ i, key: res.explanation?.key });
  });
  const core = rel.snapshot().core as { counters?: unknown[]; explained?: boolean[] };
  assert.ok(core.counters?.[0] && core.counters[1] === null, 'energy is a counter, power is not');
  assert.deepEqual(core.explained, [false, true], 'the counter is a witness: its own faults are its per-key model\'s');
  // A noise burst of 40 capped residuals before the later spikes must not teach the score that
  // such residuals are common: the spikes after it still alarm.
  assert.deepEqual(alarms.map((a) => a.key), alarms.map(() => 'power'), JSON.stringify(alarms));
  assert.ok(alarms.some((a) => a.i === 4000), `the first spike alarms: ${JSON.stringify(alarms)}`);
  assert.ok(alarms.some((a) => a.i >= 4300 && a.i < 4340), `the noise burst alarms: ${JSON.stringify(alarms)}`);
  assert.ok(alarms.some((a) => a.i === 4700), `the spike after the burst alarms: ${JSON.stringify(alarms)}`);
  assert.ok(alarms.every((a) => spikes.has(a.i) || (a.i >= 4300 && a.i < 4345)), JSON.stringify(alarms));
});

test('relational: the clean meter raises no alarm', () => {
  const rel = createDetector('relational', ['energy', 'power'], { fitPoints: 400 });
  let alarms = 0;
  meter(5000).forEach((r, i) => (alarms += rel.update(i * 60_000, r).alarm ? 1 : 0));
  assert.equal(alarms, 0);
});
