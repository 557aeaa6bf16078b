// A detector's cheaper update (updateForAlarms: the explanation built only for anomalous points;
// the live path's relational models use it) must give exactly what update() gives on every field
// the live path reads, and a model snapshotted mid-stream (during the seasonal warm-up buffer, and
// after it) must go on exactly like one that never stopped. scripts/check-detection-identity.ts
// checks the same on real data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDetector, restoreDetector, type DetectionResult } from '../../src/domains/analytics/detectors/index.js';

function seeded(seed: number) {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
}

/** A daily cycle at 5-minute sampling with noise, spikes, a stuck stretch and a slow drift. */
function series(n: number): number[] {
  const noise = seeded(11);
  return Array.from({ length: n }, (_, i) => {
    if (i >= 1500 && i < 1560) return 17.25; // stuck
    const drift = i >= 2200 && i < 2500 ? (i - 2200) * 0.02 : 0;
    const spike = i % 397 === 0 && i > 500 ? 8 : 0;
    return 20 + 5 * Math.sin((2 * Math.PI * i) / 288) + noise() + drift + spike;
  });
}
const STEP_MS = 300_000;

/** What the live path reads of a result: the explanation only on anomalous points. */
const asRead = (r: DetectionResult) => ({ ...r, explanation: r.isAnomaly ? r.explanation : undefined });

test('lean path - a detector explains its last point on demand, as update() did', () => {
  const x = series(800);
  const full = createDetector('seasonal', ['t'], { fitPoints: 100 });
  const lean = createDetector('seasonal', ['t'], { fitPoints: 100 });
  for (let i = 0; i < x.length; i++) {
    const a = full.update(i * STEP_MS, [x[i]!]);
    const b = lean.updateForAlarms(i * STEP_MS, [x[i]!]);
    assert.deepEqual(lean.lastExplanation(), a.explanation, `point ${i}`);
    assert.deepEqual(asRead(b), asRead(a), `point ${i}`);
  }
});

test('lean path - snapshots taken mid-stream (in and after the warm-up buffer) resume exactly', () => {
  const x = series(3000);
  for (const at of [150, 1000, 2600]) {
    const straight = createDetector('seasonal', ['t'], { fitPoints: 100 });
    let resumed = createDetector('seasonal', ['t'], { fitPoints: 100 });
    for (let i = 0; i < x.length; i++) {
      if (i === at) {
        const json = JSON.stringify(resumed.snapshot());
        assert.equal(json, JSON.stringify(straight.snapshot()));
        resumed = restoreDetector(JSON.parse(json));
      }
      assert.deepEqual(resumed.update(i * STEP_MS, [x[i]!]), straight.update(i * STEP_MS, [x[i]!]), `snapshot at ${at}, point ${i}`);
    }
    assert.deepEqual(resumed.snapshot(), straight.snapshot());
  }
});

test('lean path - the relational model gives the same results and snapshots either way', () => {
  const noise = seeded(5);
  const full = createDetector('relational', ['a', 'b', 'c'], { fitPoints: 200 });
  const lean = createDetector('relational', ['a', 'b', 'c'], { fitPoints: 200 });
  for (let i = 0; i < 1500; i++) {
    const a = 10 + Math.sin(i / 20) + noise() * 0.1;
    const row = [a, 2 * a + noise() * 0.1 + (i > 1200 ? 3 : 0), i * 5 + (noise() > 0 ? 1 : 0)];
    const r1 = full.update(i * 1000, row);
    const r2 = lean.updateForAlarms(i * 1000, row);
    assert.deepEqual(asRead(r2), asRead(r1), `point ${i}`);
    assert.deepEqual(lean.lastExplanation(), r1.explanation, `point ${i}`);
  }
  assert.deepEqual(lean.snapshot(), full.snapshot());
});
