// Messages between the main thread and the detection worker (detection-worker.ts). The worker
// holds the live models; the main thread holds the stores and the alarm service, so the worker
// reaches them by request/reply, and the main thread reaches the models the same way. Accepted
// batches go one way only, many per message, as a flat array (see packBatches).
import type { PointBatch } from '../../ports/telemetry.js';

/** The ports the worker may call on the main thread, and the methods of each it uses. */
export const WORKER_PORTS = {
  store: ['listModelSummaries', 'loadModelStates', 'saveModels'],
  policyStore: ['listDetectorPolicies', 'putDetectorPolicy', 'deleteDetectorPolicy'],
  telemetry: ['queryRaw'],
  metadata: ['getDevice'],
  alarms: ['raise'],
} as const;
export type WorkerPortName = keyof typeof WORKER_PORTS;

/** What the main thread may ask of the worker's LiveDetectionService. */
export const SERVICE_METHODS = ['start', 'stop', 'models', 'retrain', 'setPolicy', 'listPolicies', 'deletePolicy', 'deviceChanged', 'forgetDevice', 'save'] as const;
export type ServiceMethod = (typeof SERVICE_METHODS)[number];

export interface WireError {
  name: string;
  message: string;
  code?: string;
  statusCode?: number;
}

export type Reply = { type: 'reply'; id: number; ok: true; value: unknown } | { type: 'reply'; id: number; ok: false; error: WireError };

export type ToWorker =
  | { type: 'batches'; packed: PackedBatches }
  | { type: 'call'; id: number; method: ServiceMethod; args: unknown[] }
  | { type: 'dismissed'; alarm: { type: string; tenantId: string; deviceId: string; key: string | null; details: unknown } }
  | Reply;

export type FromWorker =
  | { type: 'call'; id: number; port: WorkerPortName; method: string; args: unknown[] }
  | { type: 'verdict'; verdict: unknown }
  | { type: 'stats'; stats: unknown }
  | { type: 'done'; points: number }
  | Reply;

export function toWireError(err: unknown): WireError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown; statusCode?: unknown } | null;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
  };
}

export function fromWireError(w: WireError): Error {
  const err = new Error(w.message) as Error & { code?: string; statusCode?: number };
  err.name = w.name;
  if (w.code !== undefined) err.code = w.code;
  if (w.statusCode !== undefined) err.statusCode = w.statusCode;
  return err;
}

/** Strings the packer has numbered before it starts over (both sides then forget theirs). */
const MAX_STRINGS = 1_000_000;
/** Tests lower the bound to see the packer start over. */
export const packerLimits = { maxStrings: MAX_STRINGS };

/** Numbers the packing buffer starts with (it grows by doubling when a turn of the loop brings more). */
const INITIAL_CAPACITY = 16_384;

/** One post of packed batches: the strings numbered since the last post, and the numbers. */
export interface PackedBatches {
  /** True when the receiver must forget every string it was sent before (the sender started over). */
  reset: boolean;
  /** New strings, numbered on from the receiver's last one. */
  strings: string[];
  /** Per batch: tenant, device, transport (string numbers), receivedAt, point count; then per point: key (string number), ts, value. */
  data: Float64Array;
  points: number;
}

/**
 * Packs accepted batches' numeric points for the detection worker. Strings (tenant, device, key)
 * are numbered once and sent once, so a post is a typed array that is transferred, not copied:
 * the main thread's cost per point is a map lookup and three stores, not a structured clone.
 */
export class BatchPacker {
  private readonly ids = new Map<string, number>();
  private strings: string[] = [];
  private reset = false;
  /** Packed into and kept: each post takes an exact-size copy (a small allocation; a fresh large
   *  buffer per post cost more than the packing itself, measured: page faults of big allocations). */
  private data: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private length = 0;
  private pointsPacked = 0;

  get points(): number {
    return this.pointsPacked;
  }

  /** Appends a batch's numeric points; returns how many (0: nothing numeric, nothing appended). */
  pack(batch: PointBatch): number {
    const points = batch.points;
    let numeric = 0;
    for (let i = 0; i < points.length; i++) if (typeof points[i]!.value === 'number') numeric++;
    if (numeric === 0) return 0;
    // A batch brings at most 3 + numeric new strings: start over before it, never in its middle.
    if (this.ids.size + 3 + numeric > packerLimits.maxStrings) this.startOver();
    this.room(5 + 3 * numeric);
    const d = this.data;
    let at = this.length;
    d[at++] = this.id(batch.tenantId);
    d[at++] = this.id(batch.deviceId);
    d[at++] = this.id(batch.transport);
    d[at++] = batch.receivedAt;
    d[at++] = numeric;
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      if (typeof p.value !== 'number') continue;
      d[at++] = this.id(p.key);
      d[at++] = p.ts;
      d[at++] = p.value;
    }
    this.length = at;
    this.pointsPacked += numeric;
    return numeric;
  }

  /** What was packed since the last take (null: nothing); its buffer is the caller's to transfer. */
  take(): PackedBatches | null {
    if (this.length === 0) return null;
    const out: PackedBatches = { reset: this.reset, strings: this.strings, data: this.data.slice(0, this.length), points: this.pointsPacked };
    this.length = 0;
    this.pointsPacked = 0;
    this.strings = [];
    this.reset = false;
    return out;
  }

  private id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(s, id);
      this.strings.push(s);
    }
    return id;
  }

  /**
   * Numbers the strings anew (a fleet whose devices come and go would grow the table forever).
   * Batches already packed with the old numbers are re-packed first, then both sides forget.
   */
  private startOver(): void {
    const old = [...this.ids.keys()];
    const pending = this.length > 0 ? [...unpackBatches({ reset: false, strings: [], data: this.data.subarray(0, this.length), points: this.pointsPacked }, old)] : [];
    this.ids.clear();
    this.strings = [];
    this.reset = true;
    this.length = 0;
    this.pointsPacked = 0;
    for (const b of pending) this.pack(b);
  }

  private room(n: number): void {
    if (this.length + n <= this.data.length) return;
    const bigger = new Float64Array(Math.max(this.data.length * 2, this.length + n));
    bigger.set(this.data.subarray(0, this.length));
    this.data = bigger;
  }
}

/**
 * The receiving side's string table: `apply` a post's new strings before unpacking it.
 */
export class StringTable {
  strings: string[] = [];

  apply(packed: PackedBatches): readonly string[] {
    if (packed.reset) this.strings = [];
    for (const s of packed.strings) this.strings.push(s);
    return this.strings;
  }
}

/** The batches of one post, in order, given the string table as it stands after that post. */
export function* unpackBatches(packed: PackedBatches, strings: readonly string[]): Generator<PointBatch> {
  const d = packed.data;
  let i = 0;
  while (i < d.length) {
    const tenantId = strings[d[i++]!]!;
    const deviceId = strings[d[i++]!]!;
    const transport = strings[d[i++]!] as PointBatch['transport'];
    const receivedAt = d[i++]!;
    const n = d[i++]!;
    const points: PointBatch['points'] = new Array(n);
    for (let j = 0; j < n; j++, i += 3) points[j] = { key: strings[d[i]!]!, ts: d[i + 1]!, value: d[i + 2]! };
    yield { tenantId, deviceId, transport, receivedAt, points };
  }
}
