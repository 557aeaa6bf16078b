// Where points live. Writes come in large batches from the storage writer; queries are
// always scoped to a tenant and a device.
import type { EncodedBatch, SequencedBatch, TelemetryValue } from './telemetry.js';

export type Aggregate = 'avg' | 'min' | 'max' | 'sum' | 'count';

export interface RawQuery {
  tenantId: string;
  deviceId: string;
  keys?: string[];
  fromMs: number;
  toMs: number;
  limit: number;
  order: 'asc' | 'desc';
}

export interface AggregateQuery {
  tenantId: string;
  deviceId: string;
  keys?: string[];
  fromMs: number;
  toMs: number;
  intervalMs: number;
  aggregates: Aggregate[];
}

export interface StoredPoint {
  key: string;
  ts: number;
  value: TelemetryValue;
}

export interface AggregateRow {
  key: string;
  /** Start of the window, epoch ms. */
  ts: number;
  avg?: number | null;
  min?: number | null;
  max?: number | null;
  sum?: number | null;
  count?: number | null;
}

export interface TelemetryStore {
  init(): Promise<void>;
  /**
   * Appends the batches atomically with the consumer's position: after a crash, batches at
   * or below lastAppliedSeq(consumer) are known stored and are skipped on redelivery.
   */
  append(consumer: string, batches: SequencedBatch[]): Promise<void>;
  /**
   * The same, from the batches as the log encodes them (the storage writer's input): the points
   * need not exist as objects until the store wants them, and a store that keeps the encoding as
   * it is (DuckDB) never makes them.
   */
  appendEncoded(consumer: string, batches: readonly EncodedBatch[]): Promise<void>;
  lastAppliedSeq(consumer: string): Promise<number>;
  queryRaw(query: RawQuery): Promise<StoredPoint[]>;
  queryAggregate(query: AggregateQuery): Promise<AggregateRow[]>;
  latest(tenantId: string, deviceId: string, keys?: string[]): Promise<StoredPoint[]>;
  keys(tenantId: string, deviceId: string): Promise<string[]>;
  /** How many series (distinct keys) each device has stored: seeds the cardinality limits at start. */
  seriesCounts(): Promise<{ tenantId: string; deviceId: string; series: number }[]>;
  /** Stored points per tenant and the bytes the telemetry takes on disk (for storage quotas; may
   *  lag the newest points by a roll-up pass). */
  storageUsage(): Promise<{ totalBytes: number; pointsByTenant: { tenantId: string; points: number }[] }>;
  deleteDevice(tenantId: string, deviceId: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
