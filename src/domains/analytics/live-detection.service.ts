// Streaming anomaly detection on the live path: one detector per numeric series
// (tenant, device, key), updated point by point as batches are accepted. A new incident raises
// an "anomaly" alarm with the detector's explanation. Detector state is saved periodically and
// on shutdown, and restored at start, so a restart does not re-learn every series.
import type { AnalyticsStore, ModelRecord } from '../../ports/analytics-store.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import type { PointBatch } from '../../ports/telemetry.js';
import type { Logger } from '../../observability/logger.js';
import type { AlarmService } from '../alarms/alarms.service.js';
import { createDetector, restoreDetector, type Detector, type DetectionResult } from './detectors/index.js';

/** 'auto' is the benchmarked default (seasonal for one key: best NAB score, see docs/analytics.md). */
const DEFAULT_KIND = 'auto' as const;
/** Points a new series learns from before it may alarm (SKAB's protocol uses 400). */
const LIVE_FIT_POINTS = 400;

interface Series {
  tenantId: string;
  deviceId: string;
  key: string;
  detector: Detector;
  version: number;
  trainedFrom: number | null;
  trainedTo: number | null;
  points: number;
  dirty: boolean;
}

export interface AnomalyEvent {
  tenantId: string;
  deviceId: string;
  key: string;
  ts: number;
  value: number;
  result: DetectionResult;
}

export interface LiveDetectionOptions {
  saveIntervalMs: number;
  retrainIntervalMs: number;
  retrainHistoryMs: number;
}

export class LiveDetectionService {
  private readonly series = new Map<string, Series>();
  private readonly anomalyListeners = new Set<(event: AnomalyEvent) => void>();
  private saveTimer: NodeJS.Timeout | null = null;
  private retrainTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: AnalyticsStore,
    private readonly telemetry: TelemetryStore,
    private readonly alarms: AlarmService,
    private readonly log: Logger,
    private readonly options: LiveDetectionOptions,
  ) {}

  async start(): Promise<void> {
    for (const record of await this.store.loadModels()) {
      try {
        this.series.set(seriesId(record.tenantId, record.deviceId, record.key), {
          ...record,
          detector: restoreDetector(record.state as never),
          dirty: false,
        });
      } catch (err) {
        this.log.warn({ err, deviceId: record.deviceId, key: record.key }, 'could not restore detector state; relearning');
      }
    }
    this.saveTimer = setInterval(() => void this.save().catch((err) => this.log.error({ err }, 'saving models failed')), this.options.saveIntervalMs);
    this.saveTimer.unref();
    this.retrainTimer = setInterval(
      () => void this.retrainStale().catch((err) => this.log.error({ err }, 'scheduled retrain failed')),
      Math.min(this.options.retrainIntervalMs, 3_600_000),
    );
    this.retrainTimer.unref();
  }

  onAnomaly(listener: (event: AnomalyEvent) => void): void {
    this.anomalyListeners.add(listener);
  }

  /** Hot path: called with every accepted batch. Numeric points only. */
  observe(batch: PointBatch): void {
    for (const p of batch.points) {
      if (typeof p.value !== 'number') continue;
      const id = seriesId(batch.tenantId, batch.deviceId, p.key);
      let s = this.series.get(id);
      if (!s) {
        s = this.newSeries(batch.tenantId, batch.deviceId, p.key);
        this.series.set(id, s);
      }
      const result = s.detector.update(p.ts, [p.value]);
      s.points++;
      s.trainedFrom ??= p.ts;
      if (s.points <= LIVE_FIT_POINTS) s.trainedTo = p.ts;
      s.dirty = true;
      if (result.alarm) this.raise(s, p.ts, p.value, result);
    }
  }

  private newSeries(tenantId: string, deviceId: string, key: string): Series {
    return {
      tenantId,
      deviceId,
      key,
      detector: createDetector(DEFAULT_KIND, [key], { fitPoints: LIVE_FIT_POINTS }),
      version: 1,
      trainedFrom: null,
      trainedTo: null,
      points: 0,
      dirty: true,
    };
  }

  private raise(s: Series, ts: number, value: number, result: DetectionResult): void {
    const event: AnomalyEvent = { tenantId: s.tenantId, deviceId: s.deviceId, key: s.key, ts, value, result };
    for (const l of this.anomalyListeners) l(event);
    const e = result.explanation;
    const expected = e ? ` (expected ${round(e.expected[0])}..${round(e.expected[1])})` : '';
    this.alarms
      .raise({
        tenantId: s.tenantId,
        deviceId: s.deviceId,
        type: 'anomaly',
        key: s.key,
        severity: result.score >= 0.95 ? 'critical' : 'warning',
        message: `${s.key} = ${round(value)} is anomalous${expected}`,
        details: { ts, value, score: result.score, explanation: e ?? null, detector: s.detector.kind, modelVersion: s.version },
      })
      .catch((err) => this.log.error({ err }, 'raising anomaly alarm failed'));
  }

  /** Rebuilds a series' detector from stored history (on demand or on schedule). */
  async retrain(tenantId: string, deviceId: string, key: string): Promise<ModelRecord> {
    const toMs = Date.now();
    const fromMs = toMs - this.options.retrainHistoryMs;
    const history = await this.telemetry.queryRaw({ tenantId, deviceId, keys: [key], fromMs, toMs, limit: 100_000, order: 'asc' });
    const detector = createDetector(DEFAULT_KIND, [key], { fitPoints: LIVE_FIT_POINTS });
    let points = 0;
    for (const p of history) {
      if (typeof p.value !== 'number') continue;
      detector.update(p.ts, [p.value]);
      points++;
    }
    const id = seriesId(tenantId, deviceId, key);
    const previous = this.series.get(id);
    const s: Series = {
      tenantId,
      deviceId,
      key,
      detector,
      version: (previous?.version ?? 0) + 1,
      trainedFrom: history[0]?.ts ?? null,
      trainedTo: history[history.length - 1]?.ts ?? null,
      points,
      dirty: true,
    };
    this.series.set(id, s);
    await this.save();
    return this.record(s);
  }

  private async retrainStale(): Promise<void> {
    const cutoff = Date.now() - this.options.retrainIntervalMs;
    for (const s of [...this.series.values()]) {
      if ((s.trainedTo ?? 0) < cutoff && s.points > LIVE_FIT_POINTS) await this.retrain(s.tenantId, s.deviceId, s.key);
    }
  }

  list(tenantId: string, deviceId?: string): ModelRecord[] {
    const out: ModelRecord[] = [];
    for (const s of this.series.values()) {
      if (s.tenantId === tenantId && (!deviceId || s.deviceId === deviceId)) out.push(this.record(s));
    }
    return out.sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.key.localeCompare(b.key));
  }

  forgetDevice(deviceId: string): void {
    for (const [id, s] of this.series) if (s.deviceId === deviceId) this.series.delete(id);
  }

  private record(s: Series): ModelRecord {
    return {
      tenantId: s.tenantId,
      deviceId: s.deviceId,
      key: s.key,
      kind: s.detector.kind,
      version: s.version,
      state: s.detector.snapshot(),
      trainedFrom: s.trainedFrom,
      trainedTo: s.trainedTo,
      points: s.points,
      updatedAt: Date.now(),
    };
  }

  async save(): Promise<void> {
    const dirty = [...this.series.values()].filter((s) => s.dirty);
    if (dirty.length === 0) return;
    for (const s of dirty) s.dirty = false;
    try {
      await this.store.saveModels(dirty.map((s) => this.record(s)));
    } catch (err) {
      for (const s of dirty) s.dirty = true;
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.saveTimer) clearInterval(this.saveTimer);
    if (this.retrainTimer) clearInterval(this.retrainTimer);
    await this.save();
  }
}

function seriesId(tenantId: string, deviceId: string, key: string): string {
  return `${tenantId}\u0000${deviceId}\u0000${key}`;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
