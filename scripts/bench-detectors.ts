// `npm run bench:detectors`: points scored per second on one core, per detector, on synthetic
// series (a daily cycle with noise and rare spikes; 8 correlated keys for the multivariate one).
// A benchmark, not a test: numbers depend on the machine.
import { createDetector, DETECTOR_KINDS, resolveKind, type DetectorKind, type DetectorTuning } from '../src/domains/analytics/detectors/index.js';
import { RegimeAwareDetector } from '../src/domains/analytics/detectors/regimes.js';
import { BATCH_TUNING, LIVE_UNIVARIATE_POLICY, LIVE_UNIVARIATE_TUNING } from '../src/domains/analytics/detectors/config.js';

const STEP_MS = 60_000;

function series(points: number, keys: number): Float64Array[] {
  let seed = 42;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: keys }, (_, k) => {
    const x = new Float64Array(points);
    for (let i = 0; i < points; i++) {
      const day = Math.sin((2 * Math.PI * i * STEP_MS) / 86_400_000 + k);
      x[i] = 20 + 5 * day + rand() - 0.5 + (rand() < 0.001 ? 10 : 0);
    }
    return x;
  });
}

function bench(kind: DetectorKind, keys: number, points: number, tuning?: DetectorTuning): { pointsPerSec: number; valuesPerSec: number } {
  const data = series(points, keys);
  const names = Array.from({ length: keys }, (_, k) => `k${k}`);
  const d = createDetector(kind, names, { tuning });
  const row = new Array<number>(keys);
  const t0 = performance.now();
  for (let i = 0; i < points; i++) {
    for (let k = 0; k < keys; k++) row[k] = data[k][i];
    d.update(i * STEP_MS, row);
  }
  const secs = (performance.now() - t0) / 1000;
  return { pointsPerSec: points / secs, valuesPerSec: (points * keys) / secs };
}

const POINTS = 1_000_000;
console.log(`detector throughput, ${POINTS.toLocaleString('en')} points each, one core (node ${process.version})\n`);
console.log('| detector | keys | resolves to | points/s | values/s |');
console.log('|---|---|---|---|---|');
for (const kind of DETECTOR_KINDS) {
  for (const keys of kind === 'multivariate' || kind === 'auto' || kind === 'relational' ? [1, 8] : [1]) {
    bench(kind, keys, 50_000); // warm the JIT
    const r = bench(kind, keys, kind === 'multivariate' || keys > 1 ? POINTS / 2 : POINTS);
    const names = Array.from({ length: keys }, (_, k) => `k${k}`);
    console.log(`| ${kind} | ${keys} | ${resolveKind(kind, names)} | ${Math.round(r.pointsPerSec).toLocaleString('en')} | ${Math.round(r.valuesPerSec).toLocaleString('en')} |`);
  }
}

// Batch scoring's default (`vigil detect`, NAB): 'auto' with shape novelty, timed alternately with
// the plain model so the two rows share the machine's load.
for (let round = 0; round < 2; round++) {
  bench('auto', 1, 50_000, BATCH_TUNING);
  const shaped = bench('auto', 1, POINTS, BATCH_TUNING);
  const plain = bench('auto', 1, POINTS);
  console.log(`| auto + shape novelty (batch default), round ${round + 1} | 1 | seasonal | ${Math.round(shaped.pointsPerSec).toLocaleString('en')} (plain: ${Math.round(plain.pointsPerSec).toLocaleString('en')}) | ${Math.round(shaped.valuesPerSec).toLocaleString('en')} |`);
}

/** The live path's per-key model: regime split, counter check and stuck-value check around 'auto'. */
function benchLive(points: number): number {
  const [x] = series(points, 1);
  const d = RegimeAwareDetector.create('k0', 'auto', 400, { policy: LIVE_UNIVARIATE_POLICY, tuning: LIVE_UNIVARIATE_TUNING });
  const t0 = performance.now();
  for (let i = 0; i < points; i++) d.update(i * STEP_MS, x![i]!);
  return points / ((performance.now() - t0) / 1000);
}
benchLive(50_000);
const live = benchLive(POINTS);
console.log(`| live per-key model (regimes, counter and stuck-value checks) | 1 | seasonal | ${Math.round(live).toLocaleString('en')} | ${Math.round(live).toLocaleString('en')} |`);
