import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newShape, stepShape, withShape, type ShapeConfig } from '../../src/domains/analytics/detectors/shape-novelty.js';
import { BATCH_TUNING, LIVE_UNIVARIATE_TUNING, SHAPE } from '../../src/domains/analytics/detectors/config.js';
import { createDetector, restoreDetector } from '../../src/domains/analytics/detectors/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const cfg: ShapeConfig = { ...SHAPE, enabled: true };

/** A triangle wave of period 64 points with a little noise. */
function triangle(i: number, rand: () => number): number {
  const phase = (i % 64) / 64;
  return (phase < 0.5 ? phase * 4 : (1 - phase) * 4) + 0.05 * rand();
}

test('shape novelty - state stays the same size however long and varied the series', () => {
  const s = newShape(cfg);
  const rand = rng(3);
  let level = 0;
  for (let i = 0; i < 200_000; i++) {
    level += rand() - 0.5; // a random walk keeps producing shapes never seen before
    stepShape(s, cfg, level);
  }
  assert.ok(s.used <= cfg.maxPrototypes);
  assert.equal(s.protos.length, cfg.maxPrototypes * cfg.windowBlocks);
  assert.equal(s.ring.length, cfg.windowBlocks);
  assert.ok(JSON.stringify(s).length < 20_000, 'a small JSON object');
});

test('shape novelty - a cycle that changes shape inside its usual range scores as novel', () => {
  const s = newShape(cfg);
  const rand = rng(5);
  let before = 0;
  let after = 0;
  for (let i = 0; i < 8000; i++) {
    const score = stepShape(s, cfg, i < 6000 ? triangle(i, rand) : 1 + 0.05 * rand()); // flattens at mid-range
    if (i >= 3000 && i < 6000) before = Math.max(before, score);
    if (i >= 6000 && i < 6100) after = Math.max(after, score);
  }
  assert.ok(before < 0.999, `familiar cycle scored ${before}`);
  assert.ok(after >= 0.999, `new shape scored ${after}`);
});

test('shape novelty - surprises on a familiar shape are mostly held back, on a new shape it stands', () => {
  const s = newShape(cfg);
  const rand = rng(7);
  const burstEvery = 256;
  let bursts = 0;
  let passed = 0;
  let novelMax = 0;
  for (let i = 0; i < 12_000; i++) {
    const inBurst = i % burstEvery < 8;
    const novel = i >= 11_000 && i < 11_024; // a longer, higher burst than ever before
    const x = (novel ? 10 : inBurst ? 3 : 0) + 0.05 * rand();
    const surprise = inBurst || novel ? 0.9999 : 0.5;
    const score = withShape(s, cfg, x, surprise);
    // A gate of one spread lets through the ~16 % of familiar windows that are by chance a
    // spread farther than usual from their prototype: most, not all, are held back.
    if (i >= 6000 && i < 11_000 && i % burstEvery === 0) bursts++;
    if (i >= 6000 && i < 11_000 && score >= 0.999) passed++;
    if (novel || (i >= 11_024 && i < 11_040)) novelMax = Math.max(novelMax, score);
  }
  assert.ok(bursts >= 19 && passed <= bursts / 3, `${passed} of ${bursts} recurring bursts alarmed`);
  assert.ok(novelMax >= 0.999, `new burst scored ${novelMax}`);
});

test('shape novelty - a restored detector continues exactly like the original', () => {
  const rand = rng(11);
  const a = createDetector('seasonal', ['x'], { tuning: { shape: { enabled: true } } });
  const xs = Array.from({ length: 3000 }, (_, i) => triangle(i, rand) + (i > 2500 && i < 2520 ? 5 : 0));
  for (let i = 0; i < 2000; i++) a.update(i * 60_000, [xs[i]]);
  const b = restoreDetector(JSON.parse(JSON.stringify(a.snapshot())));
  for (let i = 2000; i < 3000; i++) assert.deepEqual(b.update(i * 60_000, [xs[i]]), a.update(i * 60_000, [xs[i]]));
  const core = a.snapshot().core as { perKey: { shape?: unknown }[] };
  assert.ok(core.perKey[0].shape, 'the shape state is part of the snapshot');
});

test('shape novelty - batch scoring turns it on, a plain streaming detector and the live tuning leave it off', () => {
  assert.equal(SHAPE.enabled, false);
  assert.equal(BATCH_TUNING.shape?.enabled, true);
  assert.equal(LIVE_UNIVARIATE_TUNING.shape?.enabled, false);
  const d = createDetector('seasonal', ['x']);
  for (let i = 0; i < 100; i++) d.update(i * 60_000, [i % 7]);
  assert.equal((d.snapshot().core as { perKey: { shape?: unknown }[] }).perKey[0].shape, undefined);
});

test('shape novelty - after one cycle beyond the usual range, the usual cycle is still familiar', () => {
  const s = newShape(cfg);
  const rand = rng(13);
  const square = (i: number) => (i % 64 < 32 ? 1 : 0) + 0.1 * rand();
  const start = 6400; // one cycle at twice the height: a new extreme
  const end = start + 64;
  let anomaly = 0;
  let afterwards = 0;
  for (let i = 0; i < end + 2560; i++) {
    const score = stepShape(s, cfg, i >= start && i < end ? 2 * square(i) : square(i));
    if (i >= start && i < end + 32) anomaly = Math.max(anomaly, score);
    // Once the high cycle has left the window, the ordinary cycle must still match its
    // prototypes: they are re-expressed in the widened range (in the old units, the next cycles
    // all looked new, the way NAB's art_daily_jumpsup alarmed on the day after its anomaly).
    else if (i >= end + 32) afterwards = Math.max(afterwards, score);
  }
  assert.ok(anomaly >= 0.999, `the higher cycle scored ${anomaly}`);
  assert.ok(afterwards < 0.999, `the usual cycle scored ${afterwards} after the range widened`);
});

test('shape novelty - on a seasonal series, a missing daily jump is not excused by its familiar flat shape', () => {
  // Five-minute samples of a day that is low at night and high from 09:00 to 18:00; on day 10
  // the jump does not come. Flat and low is the most familiar shape of all (every night), so
  // only a gate that judges the residual of the daily profile lets the surprise through.
  const step = 300_000;
  const day = 288;
  const missingFrom = 10 * day + 108;
  const missingTo = 10 * day + 216;
  const run = (missing: boolean) => {
    const rand = rng(17);
    const d = createDetector('seasonal', ['x'], { tuning: BATCH_TUNING });
    const alarms: number[] = [];
    let resumed = d;
    for (let i = 0; i < 14 * day; i++) {
      const p = i % day;
      const high = p >= 108 && p < 216 && !(missing && i >= missingFrom && i < missingTo);
      const r = resumed.update(i * step, [(high ? 80 : 20) + 5 * rand()]);
      if (r.alarm) alarms.push(i);
      // Halfway, continue from a JSON round trip of the state: the residual's shapes go with it.
      if (i === 7 * day) resumed = restoreDetector(JSON.parse(JSON.stringify(d.snapshot())));
    }
    return alarms;
  };
  const withGap = run(true).filter((i) => i >= missingFrom && i < missingTo);
  const without = run(false).filter((i) => i >= missingFrom && i < missingTo);
  assert.ok(withGap.length > 0 && withGap[0] < missingFrom + 24, `alarms during the missing jump: ${withGap}`);
  assert.deepEqual(without, [], 'an ordinary day raises nothing then');
});

test('shape novelty - a value beyond the range of everything seen scores 1, within the tolerance it does not', () => {
  const withRange: ShapeConfig = { ...cfg, rangeTolerance: 0.05 };
  const feed = (values: number[]) => {
    const s = newShape(withRange);
    return values.map((x) => withShape(s, withRange, x, 0.5));
  };
  const rand = rng(19);
  const ordinary = Array.from({ length: 2000 }, () => 10 + 10 * rand()); // range about [10, 20]
  const early = feed([...ordinary.slice(0, 100), 40]);
  assert.ok(early[100] < 1, 'a young series (learning windows not past) widens its range without alarm');
  const beyond = feed([...ordinary, 20.8]); // 8 % of the range above the highest value
  assert.equal(beyond[2000], 1);
  const within = feed([...ordinary, 20.3]); // 3 %: inside the tolerance
  assert.ok(within[2000] < 1, `scored ${within[2000]}`);
  const below = feed([...ordinary, 9.2]);
  assert.equal(below[2000], 1, 'the low side counts alike');
  const noRange: ShapeConfig = { ...cfg, rangeTolerance: null };
  const off = newShape(noRange);
  const offScores = [...ordinary, 40].map((x) => withShape(off, noRange, x, 0.5));
  assert.ok(offScores[2000] < 1, 'off unless rangeTolerance is set');
});

test('shape novelty - an alarm for a new extreme explains itself with the range seen, not the forecast', () => {
  const rand = rng(29);
  for (const kind of ['robust', 'seasonal'] as const) {
    const d = createDetector(kind, ['x'], { tuning: BATCH_TUNING });
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < 2000; i++) {
      const x = 10 + 10 * rand();
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      d.update(i * 60_000, [x]);
    }
    const r = d.update(2000 * 60_000, [hi + 0.2 * (hi - lo)]);
    assert.equal(r.alarm, true, kind);
    const [low, high] = r.explanation!.expected;
    assert.ok(Math.abs(low - (lo - 0.05 * (hi - lo))) < 1e-9 && Math.abs(high - (hi + 0.05 * (hi - lo))) < 1e-9, `${kind}: expected [${low}, ${high}] for a range [${lo}, ${hi}]`);
  }
});
