// Streaming anomaly detection on the live path. Every numeric series (tenant, device, key) gets
// its own univariate model (one detector per operating regime when the series runs in two
// states, see detectors/regimes.ts); a device type may also have a multivariate model across several
// keys (set by a detector policy), which catches broken relations between sensors that each
// look normal alone. A new incident raises an "anomaly" alarm with the detector's explanation.
// Models stay in memory within a budget and are spilled to storage and loaded back as their
// series go quiet and speak again (model-memory.ts); their state is saved incrementally and at
// shutdown. Models are retrained from stored history on demand and on schedule.
import type { ModelRecord, ModelStore } from '../../ports/model-store.js';
import type { DetectorPolicy, PolicyStore } from '../../ports/policy-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import type { PointBatch } from '../../ports/telemetry.js';
import type { Logger } from '../../observability/logger.js';
import type { AlarmService } from '../alarms/alarms.service.js';
import { createDetector, learningPoints, type DetectionResult, type DetectorKind } from './detectors/index.js';
import { RegimeAwareDetector } from './detectors/regimes.js';
import { LIVE_UNIVARIATE_POLICY, LIVE_UNIVARIATE_TUNING } from './detectors/config.js';
import { leftToRelations, relationKeysOf, relationsKeys, relationsName } from './device-relations.js';
import { isRow, plainModel, seriesRecord, univariateModel, type Series, type SeriesModel, type SeriesValues } from './live-series.js';
import { ModelMemory, toRecord, type ModelMemoryStats } from './model-memory.js';
import type { LiveDetection, ModelView, Verdict } from './live-detection.js';

/** Points a new univariate series learns from before it may alarm (SKAB's protocol uses 400). */
const LIVE_FIT_POINTS = 400;
/** Separates the keys of a multivariate model in its name ("current+vibration"). */
const MODEL_KEY_JOIN = '+';

export interface LiveDetectionOptions {
  /** Kind of the per-key detectors ('auto' = seasonal for one key, the benchmarked default). */
  univariateKind: DetectorKind;
  saveIntervalMs: number;
  /** Estimated heap the models may hold; the least recently seen beyond it are spilled. */
  memoryBudgetBytes: number;
  /** Longest the final save at shutdown may take. */
  shutdownSaveMs: number;
  retrainIntervalMs: number;
  retrainHistoryMs: number;
}

const pid = (tenantId: string, deviceType: string) => `${tenantId}\u0000${deviceType}`;

export class LiveDetectionService implements LiveDetection {
  /** Device id → series name → series. Nested maps: no string building per point. */
  private readonly series = new Map<string, Map<string, Series>>();
  private readonly policies = new Map<string, DetectorPolicy>();
  /** Device id → the series name of its relational model (see device-relations.ts). */
  private readonly relations = new Map<string, string>();
  /** Device id → type (null while being looked up), for the multivariate policies. */
  private readonly deviceTypes = new Map<string, string | null>();
  private retrainTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly verdictListeners: ((verdict: Verdict) => void)[] = [];
  private readonly memory: ModelMemory;

  constructor(
    private readonly store: ModelStore,
    private readonly policyStore: PolicyStore,
    private readonly telemetry: TelemetryStore,
    private readonly metadata: MetadataStore,
    private readonly alarms: AlarmService,
    private readonly log: Logger,
    private readonly options: LiveDetectionOptions,
  ) {
    this.memory = new ModelMemory(
      store,
      log,
      {
        freshModel: (s) => this.newSeries(s.tenantId, s.deviceId, s.name, s.keys, s.keys.length > 1 ? s.fitPoints : undefined).detector!,
        replay: (s, points) => {
          for (const p of points) this.step(s, p.ts, p.values);
        },
      },
      { budgetBytes: options.memoryBudgetBytes, saveIntervalMs: options.saveIntervalMs, shutdownSaveMs: options.shutdownSaveMs },
    );

    alarms.onChange((alarm, event) => {
      if (event !== 'dismissed') return;
      if (alarm.type === 'anomaly') this.dismissed(alarm.tenantId, alarm.deviceId, alarm.key, alarm.details);
      // An anomaly rule's alarm carries the verdict that fired it: the same feedback to its model.
      const d = alarm.details as { condition?: { type?: string }; verdict?: { key?: string; score?: number } } | null;
      if (alarm.type === 'rule' && d?.condition?.type === 'anomaly' && d.verdict?.key) this.dismissed(alarm.tenantId, alarm.deviceId, d.verdict.key, d.verdict);
    });
  }

  /** Models in memory and their estimated bytes against the budget; spills and reloads so far. */
  memoryStats(): ModelMemoryStats {
    return this.memory.stats();
  }

  /** Feedback hook: a dismissed anomaly alarm makes its series' model less sensitive. */
  private dismissed(tenantId: string, deviceId: string, name: string | null, details: unknown): void {
    const s = name === null ? undefined : this.get(deviceId, name);
    if (!s || s.tenantId !== tenantId) return;
    const score = (details as { score?: unknown } | null)?.score;
    // A spilled model is loaded back, changed and saved like any other learning.
    this.memory.withModel(s, (model) => {
      model.dismissed(typeof score === 'number' ? score : NaN);
      s.sensitivity = model.sensitivity();
    });
  }

  /** The alarm threshold in force for a series and the dismissals that shaped it. */
  sensitivity(deviceId: string, name: string): { threshold: number; dismissals: number } | null {
    const s = this.get(deviceId, name);
    return s?.detector?.sensitivity() ?? s?.sensitivity ?? null;
  }

  async start(): Promise<void> {
    for (const p of await this.policyStore.listDetectorPolicies()) this.policies.set(pid(p.tenantId, p.deviceType), p);
    // Only what exists is read at start; a model's state is loaded when its series next sends.
    for (const record of await this.store.listModelSummaries()) this.putStored(record);
    this.memory.start();
    const retrain = () => void this.retrainStale().catch((err) => this.log.error({ err }, 'scheduled retrain failed'));
    this.retrainTimer = setInterval(retrain, Math.min(this.options.retrainIntervalMs, 3_600_000));
    this.retrainTimer.unref();
  }

  private put(s: Series): void {
    let byName = this.series.get(s.deviceId);
    if (!byName) this.series.set(s.deviceId, (byName = new Map()));
    byName.set(s.name, s);
  }

  private get(deviceId: string, name: string): Series | undefined {
    return this.series.get(deviceId)?.get(name);
  }

  private *allSeries(): IterableIterator<Series> {
    for (const byName of this.series.values()) yield* byName.values();
  }

  /** Hot path: called with every accepted batch. Numeric points only. */
  observe(batch: PointBatch): void {
    const points = batch.points;
    let byName = this.series.get(batch.deviceId);
    let numeric = 0;
    let ts = NaN;
    let oneTimestamp = true;
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      if (typeof p.value !== 'number') continue;
      if (numeric++ === 0) ts = p.ts;
      else if (p.ts !== ts) oneTimestamp = false;
      let s = byName?.get(p.key);
      if (!s) {
        s = this.seriesFor(batch.tenantId, batch.deviceId, p.key, [p.key], undefined);
        byName = this.series.get(batch.deviceId);
      }
      if (this.memory.acquire(s, p.ts, p.value)) this.step(s, p.ts, p.value);
    }
    // The device's relational model takes every sample of two or more numeric keys sent together.
    if (numeric >= 2) {
      if (oneTimestamp) this.observeRelationsAt(batch, ts);
      else this.observeRelations(batch);
    }
    const policy = this.policyFor(batch.tenantId, batch.deviceId);
    if (policy) this.observeMultivariate(batch, policy);
  }

  /**
   * The common message (one timestamp, several numeric keys) as one sample of the relational
   * model: its values go straight into the series' row in the model's key order, with no
   * per-message map or record.
   */
  private observeRelationsAt(batch: PointBatch, ts: number): void {
    let name = this.relations.get(batch.deviceId);
    if (!name) {
      const keys = relationKeysOf(numericKeys(batch));
      if (!keys) return;
      this.relations.set(batch.deviceId, (name = relationsName(keys)));
    }
    const s = this.relationSeries(batch.tenantId, batch.deviceId, name);
    const row = relationRow(s);
    const index = s.keyIndex!;
    for (const p of batch.points) {
      if (typeof p.value !== 'number') continue;
      const j = index.get(p.key);
      if (j !== undefined) row[j] = p.value;
    }
    if (this.memory.acquire(s, ts, row)) this.step(s, ts, row);
  }

  /** A batch of several timestamps: one relational sample per timestamp with two or more keys, oldest first. */
  private observeRelations(batch: PointBatch): void {
    const samples = new Map<number, Record<string, number>>();
    let numeric = 0;
    for (const p of batch.points) {
      if (typeof p.value !== 'number') continue;
      numeric++;
      let row = samples.get(p.ts);
      if (!row) samples.set(p.ts, (row = Object.create(null) as Record<string, number>)); // keys are data
      row[p.key] = p.value;
    }
    if (samples.size === numeric) return; // no two keys at one timestamp
    let name = this.relations.get(batch.deviceId);
    for (const ts of [...samples.keys()].sort((a, b) => a - b)) {
      const row = samples.get(ts)!;
      if (!name) {
        const keys = relationKeysOf(Object.keys(row));
        if (!keys) continue;
        this.relations.set(batch.deviceId, (name = relationsName(keys)));
      }
      const s = this.relationSeries(batch.tenantId, batch.deviceId, name);
      if (this.memory.acquire(s, ts, row)) this.step(s, ts, row);
    }
  }

  private relationSeries(tenantId: string, deviceId: string, name: string): Series {
    return this.get(deviceId, name) ?? this.seriesFor(tenantId, deviceId, name, relationsKeys(name)!, undefined);
  }

  private observeMultivariate(batch: PointBatch, policy: DetectorPolicy): void {
    // One sample per timestamp: the policy's keys sent together form one observation.
    let samples: Map<number, Record<string, number>> | null = null;
    for (const p of batch.points) {
      if (typeof p.value !== 'number' || !policy.keys.includes(p.key)) continue;
      samples ??= new Map();
      let row = samples.get(p.ts);
      if (!row) samples.set(p.ts, (row = Object.create(null) as Record<string, number>)); // keys are data
      row[p.key] = p.value;
    }
    if (!samples) return;
    const name = policy.keys.join(MODEL_KEY_JOIN);
    const s = this.seriesFor(batch.tenantId, batch.deviceId, name, policy.keys, policy.fitPoints);
    for (const ts of [...samples.keys()].sort((a, b) => a - b)) {
      const row = samples.get(ts)!;
      if (this.memory.acquire(s, ts, row)) this.step(s, ts, row);
    }
  }

  private seriesFor(tenantId: string, deviceId: string, name: string, keys: string[], fitPoints: number | undefined): Series {
    let s = this.get(deviceId, name);
    if (!s) {
      s = this.newSeries(tenantId, deviceId, name, keys, fitPoints);
      this.put(s);
      this.memory.admit(s);
    }
    return s;
  }

  private newSeries(tenantId: string, deviceId: string, name: string, keys: string[], fitPoints: number | undefined): Series {
    const relational = relationsKeys(name) !== null;
    const multivariate = fitPoints !== undefined && !relational;
    const fit = relational ? LIVE_FIT_POINTS : (fitPoints ?? LIVE_FIT_POINTS);
    const detector: SeriesModel = relational
      ? plainModel(createDetector('relational', keys, { fitPoints: fit }))
      : multivariate
        ? plainModel(createDetector('multivariate', keys, { fitPoints: fit }))
        : univariateModel(RegimeAwareDetector.create(keys[0]!, this.options.univariateKind, fit, { policy: LIVE_UNIVARIATE_POLICY, tuning: LIVE_UNIVARIATE_TUNING }));
    return seriesRecord({ tenantId, deviceId, name, keys, detector, kind: detector.describe(), version: 1, trainedFrom: null, trainedTo: null, points: 0, fitPoints: fit, stored: false });
  }

  /** Feeds a point to a resident model (see ModelMemory.acquire). */
  /** Registers a saved model (not loaded yet); a relational one also names the device's relations. */
  private putStored(record: ModelRecord): void {
    const relationKeys = relationsKeys(record.key);
    if (relationKeys) this.relations.set(record.deviceId, record.key);
    this.put(storedSeries(record, relationKeys));
  }

  private step(s: Series, ts: number, values: SeriesValues): void {
    const result = s.detector!.update(ts, values);
    s.points++;
    s.trainedFrom ??= ts;
    if (s.points <= s.fitPoints) s.trainedTo = ts;
    this.memory.stepped(s);
    if (s.explained === undefined && !result.warmingUp && s.detector!.explainedKeys) s.explained = new Set(s.detector!.explainedKeys());
    if (result.alarm && !this.leftToRelations(s, result)) this.raise(s, ts, valueOf(s, values, result.explanation?.key), result);
    if (result.isAnomaly && this.verdictListeners.length) {
      const verdict = { tenantId: s.tenantId, deviceId: s.deviceId, keys: s.keys, key: result.explanation?.key ?? s.keys[0]!, ts, score: result.score };
      for (const l of this.verdictListeners) l(verdict);
    }
  }

  /** Every point a model judges anomalous (not only the one that raises its alarm): anomaly rules. */
  onVerdict(listener: (verdict: Verdict) => void): void {
    this.verdictListeners.push(listener);
  }

  /** A per-key alarm that the device's relational model is there to judge (see device-relations.ts). */
  private leftToRelations(s: Series, result: DetectionResult): boolean {
    if (s.keys.length !== 1) return false;
    const name = this.relations.get(s.deviceId);
    const relations = name === undefined ? undefined : this.get(s.deviceId, name);
    return leftToRelations(relations?.explained, s.keys[0]!, s.detector?.describe() ?? s.kind, result);
  }

  /** The multivariate policy of the device's type, if any; looks the type up once per device. */
  private policyFor(tenantId: string, deviceId: string): DetectorPolicy | undefined {
    if (this.policies.size === 0) return undefined;
    const type = this.deviceTypes.get(deviceId);
    if (type === undefined) {
      this.deviceTypes.set(deviceId, null);
      this.metadata.getDevice(tenantId, deviceId).then(
        (d) => (d ? this.deviceTypes.set(deviceId, d.type) : this.deviceTypes.delete(deviceId)),
        () => this.deviceTypes.delete(deviceId),
      );
      return undefined;
    }
    return type === null ? undefined : this.policies.get(pid(tenantId, type));
  }

  private raise(s: Series, ts: number, value: number, result: DetectionResult): void {
    const e = result.explanation;
    const multivariate = s.keys.length > 1;
    const subject = e?.key ?? s.keys[0]!;
    const expected = e ? ` (expected ${round(e.expected[0])}..${round(e.expected[1])})` : '';
    const observed = Number.isFinite(value) ? value : e?.observed;
    const message = result.flatline
      ? `${subject} has reported ${round(observed ?? NaN)} ${result.flatline} times in a row: the sensor may be stuck`
      : result.drift
      ? `${subject} = ${round(observed ?? NaN)} has been drifting ${result.drift > 0 ? 'up' : 'down'} for longer than it ever wanders${expected}`
      : multivariate
      ? `${subject} = ${round(observed ?? NaN)} breaks its usual relation with ${s.keys.filter((k) => k !== subject).join(', ')}${expected}`
      : `${subject} = ${round(observed ?? NaN)} is anomalous${expected}`;
    this.alarms
      .raise({
        tenantId: s.tenantId,
        deviceId: s.deviceId,
        type: 'anomaly',
        key: s.name,
        severity: result.score >= 0.95 ? 'critical' : 'warning',
        message,
        details: {
          ts,
          value: observed ?? null,
          score: result.score,
          explanation: e ?? null,
          detector: s.detector?.describe() ?? s.kind,
          keys: s.keys,
          modelVersion: s.version,
          ...(result.flatline ? { flatline: result.flatline } : {}),
          ...(result.drift ? { drift: result.drift } : {}),
        },
      })
      .catch((err) => this.log.error({ err }, 'raising anomaly alarm failed'));
  }

  async setPolicy(policy: DetectorPolicy): Promise<void> {
    await this.policyStore.putDetectorPolicy(policy);
    this.policies.set(pid(policy.tenantId, policy.deviceType), policy);
  }

  async listPolicies(tenantId: string): Promise<DetectorPolicy[]> {
    return [...this.policies.values()].filter((p) => p.tenantId === tenantId).sort((a, b) => a.deviceType.localeCompare(b.deviceType));
  }

  async deletePolicy(tenantId: string, deviceType: string): Promise<boolean> {
    const removed = await this.policyStore.deleteDetectorPolicy(tenantId, deviceType);
    this.policies.delete(pid(tenantId, deviceType));
    return removed;
  }

  /** A device's type changed or it was deleted: look its type up again next time. */
  deviceChanged(deviceId: string): void {
    this.deviceTypes.delete(deviceId);
  }

  /** Rebuilds a series' detector from stored history (on demand or on schedule). */
  async retrain(tenantId: string, deviceId: string, name: string): Promise<ModelRecord> {
    const previous = this.get(deviceId, name);
    const relationKeys = relationsKeys(name);
    const keys = previous?.keys ?? relationKeys ?? name.split(MODEL_KEY_JOIN);
    if (relationKeys && !this.relations.has(deviceId)) this.relations.set(deviceId, name);
    const multivariate = keys.length > 1;
    const toMs = Date.now();
    const history = await this.telemetry.queryRaw({
      tenantId,
      deviceId,
      keys,
      fromMs: toMs - this.options.retrainHistoryMs,
      toMs,
      limit: 100_000 * keys.length,
      order: 'asc',
    });
    const s = this.newSeries(tenantId, deviceId, name, keys, multivariate ? (previous?.fitPoints ?? LIVE_FIT_POINTS) : undefined);
    s.version = (previous?.version ?? 0) + 1;
    // What operators taught the old model (dismissed false alarms) carries over (when it is resident).
    s.detector!.setFeedback(previous?.detector?.feedback);
    // Replay without raising alarms: history was already judged when it arrived.
    let i = 0;
    while (i < history.length) {
      const ts = history[i]!.ts;
      const row: Record<string, number> = Object.create(null); // keys are data, "__proto__" included
      for (; i < history.length && history[i]!.ts === ts; i++) {
        const v = history[i]!.value;
        if (typeof v === 'number') row[history[i]!.key] = v;
      }
      if (Object.keys(row).length === 0) continue;
      s.detector!.update(ts, multivariate ? row : row[keys[0]!]!);
      s.points++;
      s.trainedFrom ??= ts;
    }
    s.trainedTo = history[history.length - 1]?.ts ?? null;
    if (previous) this.memory.forget(previous);
    this.put(s);
    this.memory.admit(s);
    await this.memory.saveNow(s);
    return toRecord(s, false);
  }

  private async retrainStale(): Promise<void> {
    const cutoff = Date.now() - this.options.retrainIntervalMs;
    for (const s of [...this.allSeries()]) {
      if ((s.trainedTo ?? 0) < cutoff && s.points > s.fitPoints) await this.retrain(s.tenantId, s.deviceId, s.name);
    }
  }

  list(tenantId: string, deviceId?: string): ModelRecord[] {
    const out: ModelRecord[] = [];
    const scope = deviceId ? (this.series.get(deviceId)?.values() ?? []) : this.allSeries();
    for (const s of scope) if (s.tenantId === tenantId) out.push(toRecord(s, false));
    return out.sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.key.localeCompare(b.key));
  }

  async models(tenantId: string, deviceId?: string): Promise<ModelView[]> {
    return this.list(tenantId, deviceId).map((record) => ({
      record,
      ...(this.learningState(record.deviceId, record.key) ?? { learning: false, pointsNeeded: 0 }),
      sensitivity: this.sensitivity(record.deviceId, record.key) ?? { threshold: 0, dismissals: 0 },
    }));
  }

  /** Whether a series' model still learns (scores 0, raises nothing) and how many points it still needs. */
  learningState(deviceId: string, name: string): { learning: boolean; pointsNeeded: number } | null {
    const s = this.get(deviceId, name);
    if (!s) return null;
    const pointsNeeded = Math.max(0, learningPoints(s.fitPoints, s.keys.length) - s.points);
    return { learning: pointsNeeded > 0, pointsNeeded };
  }

  /**
   * Scaled out, this node takes devices over from another (a partition): the models that node
   * saved replace whatever this node held of them; each is loaded when its series next sends.
   */
  async adoptDevices(owned: (tenantId: string, deviceId: string) => boolean): Promise<void> {
    const records = (await this.store.listModelSummaries()).filter((r) => owned(r.tenantId, r.deviceId));
    this.forgetDevices(owned);
    for (const record of records) this.putStored(record);
  }

  /**
   * Scaled out, devices go to another node: every model with unsaved learning is saved first
   * (so the next owner goes on from it), then theirs are dropped from memory.
   */
  async releaseDevices(owned: (tenantId: string, deviceId: string) => boolean): Promise<void> {
    // At shutdown stop() already saved within its deadline: no second, unbounded pass.
    if (!this.stopped) await this.memory.saveAll();
    this.forgetDevices(owned);
  }

  private forgetDevices(owned: (tenantId: string, deviceId: string) => boolean): void {
    for (const [deviceId, byName] of [...this.series]) {
      const tenantId = byName.values().next().value?.tenantId;
      if (tenantId !== undefined && owned(tenantId, deviceId)) this.forgetDevice(deviceId);
    }
  }

  forgetDevice(deviceId: string): void {
    for (const s of this.series.get(deviceId)?.values() ?? []) this.memory.forget(s);
    this.series.delete(deviceId);
    this.relations.delete(deviceId);
    this.deviceTypes.delete(deviceId);
  }

  /** Saves every model with unsaved learning now. */
  save(): Promise<void> {
    return this.memory.saveAll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retrainTimer) clearInterval(this.retrainTimer);
    await this.memory.stop();
  }
}

/** A stored model known by its summary; its state is loaded when its series next sends. */
/** A saved model as a series whose detector loads on first use; `relationKeys` for a relational one. */
function storedSeries(record: ModelRecord, relationKeys: string[] | null): Series {
  return seriesRecord({
    tenantId: record.tenantId,
    deviceId: record.deviceId,
    name: record.key,
    keys: relationKeys ?? (record.kind === 'multivariate' ? record.key.split(MODEL_KEY_JOIN) : [record.key]),
    detector: null,
    kind: record.kind,
    version: record.version,
    trainedFrom: record.trainedFrom,
    trainedTo: record.trainedTo,
    points: record.points,
    fitPoints: LIVE_FIT_POINTS,
    stored: true,
  });
}

/** The numeric keys of a batch, in order (repeats included). */
function* numericKeys(batch: PointBatch): Iterable<string> {
  for (const p of batch.points) if (typeof p.value === 'number') yield p.key;
}

/** The series' reusable sample row (its keys' values in model order), reset to "missing". */
function relationRow(s: Series): number[] {
  if (!s.row || !s.keyIndex) {
    s.row = new Array<number>(s.keys.length);
    s.keyIndex = new Map(s.keys.map((k, j) => [k, j]));
  }
  return s.row.fill(NaN);
}

/** The value of `key` in a point as the model took it (NaN when absent). */
function valueOf(s: Series, values: SeriesValues, key: string | undefined): number {
  if (typeof values === 'number') return values;
  if (key === undefined) return NaN;
  if (isRow(values)) return values[s.keys.indexOf(key)] ?? NaN;
  return values[key] ?? NaN;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
