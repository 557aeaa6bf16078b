// What the rest of Vigil uses of live anomaly detection, wherever it runs: on the main thread
// (LiveDetectionService itself, scaled out, where partitions hand models over) or in a worker
// thread (DetectionWorkerClient, embedded: scoring is then off the thread that acknowledges
// devices). Queries are asynchronous so that both can answer them.
import type { ModelRecord } from '../../ports/model-store.js';
import type { DetectorPolicy } from '../../ports/policy-store.js';
import type { PointBatch } from '../../ports/telemetry.js';
import type { ModelMemoryStats } from './model-memory.js';
import type { ModelVerdict } from '../rules/rule-engine.js';

/** A model as GET /api/v1/models shows it: its record without state, learning progress and sensitivity. */
export interface ModelView {
  record: ModelRecord;
  learning: boolean;
  pointsNeeded: number;
  sensitivity: { threshold: number; dismissals: number };
}

/** Every point a model judges anomalous (not only the one that raises its alarm): anomaly rules. */
export type Verdict = ModelVerdict;

export interface LiveDetection {
  start(): Promise<void>;
  /** Saves every model with unsaved learning (within the shutdown deadline) and stops. */
  stop(): Promise<void>;
  /** Hot path: every accepted batch. Never throws, never waits. */
  observe(batch: PointBatch): void;
  onVerdict(listener: (verdict: Verdict) => void): void;
  /** Models in memory against their budget (for the metrics: synchronous, may lag by a second). */
  memoryStats(): ModelMemoryStats;
  /** The tenant's models (of one device when given), sorted by device then key. */
  models(tenantId: string, deviceId?: string): Promise<ModelView[]>;
  retrain(tenantId: string, deviceId: string, name: string): Promise<ModelRecord>;
  setPolicy(policy: DetectorPolicy): Promise<void>;
  listPolicies(tenantId: string): Promise<DetectorPolicy[]>;
  deletePolicy(tenantId: string, deviceType: string): Promise<boolean>;
  /** A device's type changed: look it up again. */
  deviceChanged(deviceId: string): void;
  /** A device was deleted: drop its models from memory. */
  forgetDevice(deviceId: string): void;
  /** Saves every model with unsaved learning now. */
  save(): Promise<void>;
}
