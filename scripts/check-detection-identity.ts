// `node dist/scripts/check-detection-identity.js [--write FILE] [--compare FILE]`: a fingerprint of
// everything the anomaly detectors produce, for proving that a change meant to make them cheaper
// changes no output. It hashes every field of every per-point result (score bit for bit, labels,
// explanation, flatline, drift) and the snapshots (mid-stream and final, as JSON) of:
//   - batch scoring (`vigil detect`'s path) of every NAB and SKAB file, several detector kinds;
//   - the live per-key model (regimes wrapper, live tuning) on every NAB file and SKAB column;
//   - a detector snapshotted, JSON round-tripped and restored mid-stream (must match straight runs);
//   - a simulated fleet (scripts/eval-fleet.ts's models and faults): per-key and relational models;
//   - LiveDetectionService on the bench-live-detection feed and on a noisy feed with a small
//     memory budget (spills and reloads), hashing alarms, verdicts and the saved model states.
// Record before a change with --write, check after with --compare. Not a test: it takes a minute.
import { createHash, type Hash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCsvFile, parseTimestamp, parseNumber } from '../src/domains/analytics/csv/index.js';
import { scoreTable } from '../src/domains/analytics/detectors/batch.js';
import { createDetector, restoreDetector, type DetectionResult, type DetectorKind, type DetectorTuning } from '../src/domains/analytics/detectors/index.js';
import { RegimeAwareDetector } from '../src/domains/analytics/detectors/regimes.js';
import { LIVE_UNIVARIATE_POLICY, LIVE_UNIVARIATE_TUNING } from '../src/domains/analytics/detectors/config.js';
import { skabFiles } from '../src/domains/analytics/eval/run-benchmarks.js';
import { relationKeysOf } from '../src/domains/analytics/device-relations.js';
import { LiveDetectionService } from '../src/domains/analytics/live-detection.service.js';
import { createLogger } from '../src/observability/logger.js';
import { MODELS } from '../src/simulator/models.js';
import { Rng } from '../src/simulator/rng.js';
import { FaultInjector } from '../src/simulator/faults.js';
import type { ModelRecord } from '../src/ports/model-store.js';
import type { PointBatch, TelemetryPoint } from '../src/ports/telemetry.js';

const { values: args } = parseArgs({ options: { write: { type: 'string' }, compare: { type: 'string' }, datasets: { type: 'string', default: '/work/shared/datasets' } } });

const num = (x: number | undefined) => (x === undefined ? 'u' : Object.is(x, -0) ? '-0' : String(x));

/** Every field a caller can read of a result, in a fixed order. */
function resultLine(r: DetectionResult): string {
  const e = r.explanation;
  const ex = e ? `${e.key}|${num(e.expected[0])}|${num(e.expected[1])}|${num(e.observed)}` : '-';
  return `${num(r.score)} ${r.isAnomaly ? 1 : 0}${r.alarm ? 1 : 0}${r.warmingUp ? 1 : 0} ${ex} ${num(r.flatline)} ${num(r.drift)}\n`;
}

/** The fields the live path reads: the explanation only on anomalous points (see SeriesModel.update). */
function alarmLine(r: DetectionResult): string {
  return resultLine(r.isAnomaly ? r : { ...r, explanation: undefined });
}

const sections: Record<string, string> = {};
function section(name: string, fill: (h: Hash) => void): void {
  const t0 = performance.now();
  const h = createHash('sha256');
  fill(h);
  sections[name] = h.digest('hex');
  console.log(`${name}: ${sections[name].slice(0, 16)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

function nabFiles(dir: string): string[] {
  const data = join(dir, 'NAB', 'data');
  const out: string[] = [];
  for (const sub of readdirSync(data).sort()) for (const f of readdirSync(join(data, sub)).sort()) if (f.endsWith('.csv')) out.push(join(data, sub, f));
  return out;
}

/** A table's timestamps and value columns as numbers. */
function columns(file: string, ignore: string[]): { ts: number[]; names: string[]; cols: number[][] } {
  const t = readCsvFile(file);
  const tsIdx = t.header.findIndex((h) => /^(timestamp|datetime)$/i.test(h));
  const names = t.header.filter((h, i) => i !== tsIdx && !ignore.includes(h));
  const idx = names.map((n) => t.header.indexOf(n));
  return { ts: t.rows.map((r) => parseTimestamp(r[tsIdx]!.trim())), names, cols: idx.map((i) => t.rows.map((r) => parseNumber(r[i]))) };
}

const SKAB_LABELS = ['anomaly', 'changepoint'];
const nab = nabFiles(args.datasets!);
const skab = skabFiles(join(args.datasets!, 'SKAB'));
console.log(`${nab.length} NAB files, ${skab.length} SKAB files`);

// Batch scoring: vigil detect / eval:anomaly.
for (const kind of ['auto', 'robust', 'seasonal'] as DetectorKind[])
  section(`nab batch ${kind}`, (h) => {
    for (const f of nab) for (const r of scoreTable(readCsvFile(f), { detector: kind }).results) h.update(resultLine(r));
  });
for (const kind of ['multivariate', 'relational', 'seasonal', 'robust'] as DetectorKind[])
  section(`skab batch ${kind}`, (h) => {
    for (const f of skab) for (const r of scoreTable(readCsvFile(f), { detector: kind, ignoreColumns: SKAB_LABELS, fitRows: 400 }).results) h.update(resultLine(r));
  });

/** A detector fed row by row, snapshotted (JSON) at `snapAt`; with `restore` it continues from the restored copy. */
function runDetector(h: Hash, kind: DetectorKind, ts: number[], cols: number[][], names: string[], tuning: DetectorTuning | undefined, snapAt: number[], restore: boolean, fitPoints?: number): void {
  let d = createDetector(kind, names, { tuning, fitPoints });
  const row = new Array<number>(cols.length);
  for (let i = 0; i < ts.length; i++) {
    if (snapAt.includes(i)) {
      const json = JSON.stringify(d.snapshot());
      h.update(json);
      if (restore) d = restoreDetector(JSON.parse(json));
    }
    for (let j = 0; j < cols.length; j++) row[j] = cols[j]![i]!;
    h.update(resultLine(d.update(ts[i]!, row)));
  }
  h.update(JSON.stringify(d.snapshot()));
}

function runRegimes(h: Hash, key: string, ts: number[], x: number[], snapAt: number[], restore: boolean): void {
  let d = RegimeAwareDetector.create(key, 'auto', 400, { policy: LIVE_UNIVARIATE_POLICY, tuning: LIVE_UNIVARIATE_TUNING });
  for (let i = 0; i < ts.length; i++) {
    if (snapAt.includes(i)) {
      const json = JSON.stringify(d.snapshot());
      h.update(json);
      if (restore) d = RegimeAwareDetector.restore(JSON.parse(json));
    }
    h.update(resultLine(d.update(ts[i]!, x[i]!)));
  }
  h.update(JSON.stringify(d.snapshot()) + d.describe() + d.estimatedBytes());
}

// Snapshots during the warm-up buffer (300, 1000), at its end (4100) and late.
const SNAPS = [300, 1000, 4100, 8000];
const nabCols = nab.map((f) => columns(f, []));
const skabCols = skab.map((f) => columns(f, SKAB_LABELS));
for (const restore of [false, true]) {
  const tag = restore ? 'restored' : 'straight';
  section(`nab seasonal live-tuned, snapshots ${tag}`, (h) => {
    for (const c of nabCols) runDetector(h, 'seasonal', c.ts, c.cols, c.names, LIVE_UNIVARIATE_TUNING, SNAPS, restore);
  });
  section(`nab seasonal batch-tuned (shape), snapshots ${tag}`, (h) => {
    for (const c of nabCols) runDetector(h, 'seasonal', c.ts, c.cols, c.names, { shape: { enabled: true } }, SNAPS, restore);
  });
  section(`nab seasonal with free period search, snapshots ${tag}`, (h) => {
    for (const c of nabCols) runDetector(h, 'seasonal', c.ts, c.cols, c.names, { seasonal: { freePeriodSearch: true } }, SNAPS, restore);
  });
  section(`nab regimes live, snapshots ${tag}`, (h) => {
    for (const c of nabCols) runRegimes(h, c.names[0]!, c.ts, c.cols[0]!, SNAPS, restore);
  });
  section(`skab relational+multivariate, snapshots ${tag}`, (h) => {
    for (const c of skabCols) {
      runDetector(h, 'relational', c.ts, c.cols, c.names, undefined, [200, 500, 900], restore);
      runDetector(h, 'multivariate', c.ts, c.cols, c.names, undefined, [200, 500, 900], restore);
      runDetector(h, 'relational', c.ts, c.cols, c.names, undefined, [200, 500, 900], restore, 100);
    }
  });
  section(`skab regimes live per column, snapshots ${tag}`, (h) => {
    for (const c of skabCols) for (let j = 0; j < c.cols.length; j++) runRegimes(h, c.names[j]!, c.ts, c.cols[j]!, [200, 500], restore);
  });
}

// The live path's lean update (explanations only on anomalous points) against the full one.
type RegimesUpdate = (d: RegimeAwareDetector, ts: number, x: number) => DetectionResult;
const leanAndFull: [string, RegimesUpdate][] = [
  ['full', (d, ts, x) => d.update(ts, x)],
  // (Falls back to update() where there is no lean path: the regimes wrapper has none today, and
  // the code before the change had none, so the same script runs on both.)
  ['lean', (d, ts, x) => ((d as unknown as { updateForAlarms?: unknown }).updateForAlarms ? (d as unknown as { updateForAlarms(ts: number, x: number): DetectionResult }).updateForAlarms(ts, x) : d.update(ts, x))],
];
for (const [tag, update] of leanAndFull)
  section(`nab+skab regimes, fields the live path reads, ${tag}`, (h) => {
    for (const c of [...nabCols, ...skabCols])
      for (let j = 0; j < c.cols.length; j++) {
        const d = RegimeAwareDetector.create(c.names[j]!, 'auto', 400, { policy: LIVE_UNIVARIATE_POLICY, tuning: LIVE_UNIVARIATE_TUNING });
        for (let i = 0; i < c.ts.length; i++) h.update(alarmLine(update(d, c.ts[i]!, c.cols[j]![i]!)));
      }
  });

// The relational model's lean update (the live path's plainModel uses it) against the full one.
for (const tag of ['full', 'lean'])
  section(`skab relational, fields the live path reads, ${tag}`, (h) => {
    for (const c of skabCols) {
      const d = createDetector('relational', c.names, { fitPoints: 400 }) as ReturnType<typeof createDetector> & { updateForAlarms?: (ts: number, v: number[]) => DetectionResult };
      const row = new Array<number>(c.cols.length);
      for (let i = 0; i < c.ts.length; i++) {
        for (let j = 0; j < c.cols.length; j++) row[j] = c.cols[j]![i]!;
        h.update(alarmLine(tag === 'lean' && d.updateForAlarms ? d.updateForAlarms(c.ts[i]!, row) : d.update(c.ts[i]!, row)));
      }
      h.update(JSON.stringify(d.snapshot()));
    }
  });

// A simulated fleet as scripts/eval-fleet.ts runs it (3 days at 60 s: daily cycles are found).
function fleet(h: Hash, update: RegimesUpdate, line: (r: DetectionResult) => string): void {
  for (const type of Object.keys(MODELS)) {
    const model = MODELS[type]!;
    if (model.numericKeys.length === 0) continue;
    for (let d = 0; d < 3; d++) {
      const rng = new Rng(1000 + d);
      const state = model.init(rng);
      const faults = new FaultInjector(`${type}-${d}`, model, new Rng(5000 + d), 0.1, ['spike', 'drift', 'stuck', 'noise_burst']);
      const perKey = new Map<string, RegimeAwareDetector>();
      let relKeys: string[] | null | undefined;
      let relational: ReturnType<typeof createDetector> | null = null;
      for (let i = 0; i < 3 * 1440; i++) {
        const ts = Date.UTC(2026, 0, 1) + i * 60_000;
        const sample = faults.apply(ts, 60, model.step(state, { nowMs: ts, dtSec: 60, rng, health: faults.health }));
        if (!sample) continue;
        const keys = Object.keys(sample).filter((k) => typeof sample[k] === 'number');
        if (relKeys === undefined) {
          relKeys = relationKeysOf(keys);
          relational = relKeys ? createDetector('relational', relKeys, { fitPoints: 400 }) : null;
        }
        for (const k of keys) {
          let det = perKey.get(k);
          if (!det) perKey.set(k, (det = RegimeAwareDetector.create(k, 'auto', 400, { policy: LIVE_UNIVARIATE_POLICY, tuning: LIVE_UNIVARIATE_TUNING })));
          h.update(k + line(update(det, ts, sample[k] as number)));
        }
        if (relational && relKeys) h.update(resultLine(relational.update(ts, relKeys.map((k) => (typeof sample[k] === 'number' ? (sample[k] as number) : NaN)))));
      }
      for (const [k, det] of perKey) h.update(k + JSON.stringify(det.snapshot()));
      if (relational) h.update(JSON.stringify(relational.snapshot()));
    }
  }
}
section('fleet', (h) => fleet(h, leanAndFull[0]![1], resultLine));
for (const [tag, update] of leanAndFull) section(`fleet, fields the live path reads, ${tag}`, (h) => fleet(h, update, alarmLine));

/** LiveDetectionService over a feed, in-memory stores; hashes alarms, verdicts and saved states. */
async function live(h: Hash, budgetBytes: number, messages: number, batchOf: (seq: number) => PointBatch): Promise<void> {
  const saved = new Map<string, ModelRecord>();
  const id = (r: { tenantId: string; deviceId: string; key: string }) => `${r.tenantId}/${r.deviceId}/${r.key}`;
  const modelStore = {
    listModelSummaries: async () => [],
    loadModelStates: async (keys: { tenantId: string; deviceId: string; key: string }[]) => keys.map((k) => saved.get(id(k))).filter((r) => r !== undefined).map((r) => structuredClone(r)),
    saveModels: async (records: ModelRecord[]) => {
      for (const r of records) saved.set(id(r), JSON.parse(JSON.stringify(r)));
    },
  };
  const events: string[] = [];
  const alarms = { onChange: () => undefined, raise: async (a: unknown) => (events.push('alarm ' + JSON.stringify(a)), {}) };
  const detection = new LiveDetectionService(
    modelStore as never,
    { listDetectorPolicies: async () => [] } as never,
    {} as never,
    { getDevice: async () => null } as never,
    alarms as never,
    createLogger('silent'),
    { univariateKind: 'auto', saveIntervalMs: 3_600_000, memoryBudgetBytes: budgetBytes, shutdownSaveMs: 600_000, retrainIntervalMs: 86_400_000, retrainHistoryMs: 86_400_000 },
  );
  detection.onVerdict((v) => events.push('verdict ' + JSON.stringify(v)));
  await detection.start();
  for (let seq = 0; seq < messages; seq++) {
    detection.observe(batchOf(seq));
    // Let spilled models load back now and then, at the same points every run.
    if (seq % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  await detection.stop();
  const memory = detection.memoryStats();
  for (const e of events) h.update(e + '\n');
  for (const k of [...saved.keys()].sort()) h.update(k + JSON.stringify(saved.get(k)!.state) + saved.get(k)!.points);
  // modelsSaved depends on when the background save timer fired: left out.
  h.update(JSON.stringify({ ...memory, modelsSaved: 0 }));
  console.log(`  ${events.length} alarms and verdicts, ${saved.size} saved models, ${memory.spills} spills, ${memory.reloads} reloads`);
}

const t0 = Date.UTC(2026, 0, 1);
/** The bench-live-detection feed (scripts/bench-live-detection.ts). */
function benchFeed(seq: number): PointBatch {
  const ts = t0 + Math.floor(seq / 100) * 20;
  const points: TelemetryPoint[] = [];
  for (let k = 0; k < 5; k++) points.push({ key: `k${k}`, ts, value: (seq % 1000) + k / 10 });
  return { tenantId: 't', deviceId: `device-${seq % 100}`, transport: 'mqtt', receivedAt: ts, points };
}
/** Noisy, daily-cycled, spiky devices at one point a minute; keys sometimes missing. */
let seed = 7;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
function noisyFeed(seq: number): PointBatch {
  const device = seq % 20;
  const i = Math.floor(seq / 20);
  const ts = t0 + i * 60_000 + (rand() < 0.01 ? 1000 : 0);
  const day = Math.sin((2 * Math.PI * i) / 1440 + device);
  const points: TelemetryPoint[] = [];
  const base = 20 + 5 * day + (rand() - 0.5);
  points.push({ key: 'temp', ts, value: base + (rand() < 0.002 ? 15 : 0) });
  if (rand() > 0.05) points.push({ key: 'hum', ts, value: 50 - 2 * base + rand() + (i > 3000 && device === 3 ? (i - 3000) * 0.01 : 0) });
  points.push({ key: 'power', ts, value: Math.floor(i / 90) % 2 === 0 ? 100 + rand() : 0 });
  points.push({ key: 'energy', ts, value: i * 3 + (rand() < 0.5 ? 1 : 0) });
  if (device === 5 && i > 2500 && i < 2600) points[0]!.value = 21;
  return { tenantId: 't', deviceId: `dev-${device}`, transport: 'mqtt', receivedAt: ts, points };
}

const sectionsAsync: [string, (h: Hash) => Promise<void>][] = [
  ['live bench feed', (h) => live(h, 512 * 1024 * 1024, 100 * 800, benchFeed)],
  ['live noisy feed, small budget', (h) => live(h, 3_000_000, 20 * 5000, noisyFeed)],
];
for (const [name, fill] of sectionsAsync) {
  const h = createHash('sha256');
  const t = performance.now();
  await fill(h);
  sections[name] = h.digest('hex');
  console.log(`${name}: ${sections[name].slice(0, 16)} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

for (const [a, b] of Object.keys(sections).filter((n) => n.endsWith('restored')).map((n) => [n, n.replace(/restored$/, 'straight')]).concat(Object.keys(sections).filter((n) => n.endsWith(', lean')).map((n) => [n, n.replace(/lean$/, 'full')])))
  if (sections[a] !== sections[b]) console.log(`NOTE: "${a}" differs from "${b}"`);
if (args.write) writeFileSync(args.write, JSON.stringify(sections, null, 2) + '\n');
if (args.compare) {
  if (!existsSync(args.compare)) throw new Error(`${args.compare} not found`);
  const before = JSON.parse(readFileSync(args.compare, 'utf8')) as Record<string, string>;
  const differ = Object.keys(before).filter((k) => before[k] !== sections[k]);
  console.log(differ.length === 0 ? `IDENTICAL: all ${Object.keys(before).length} sections match ${args.compare}` : `DIFFERENT: ${differ.join('; ')}`);
  process.exitCode = differ.length === 0 ? 0 : 1;
}
