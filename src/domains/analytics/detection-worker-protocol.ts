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
  | { type: 'batches'; data: unknown[]; points: number }
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

/**
 * Appends a batch's numeric points to a flat array: tenant, device, transport, receivedAt, count,
 * then key, ts, value per point. Strings and numbers only: the structured clone of such an array
 * is far cheaper than of the batch objects, and detection needs nothing else. Returns the points
 * appended (0: nothing numeric, nothing appended).
 */
export function packBatch(out: unknown[], batch: PointBatch): number {
  const points = batch.points;
  let numeric = 0;
  for (let i = 0; i < points.length; i++) if (typeof points[i]!.value === 'number') numeric++;
  if (numeric === 0) return 0;
  out.push(batch.tenantId, batch.deviceId, batch.transport, batch.receivedAt, numeric);
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (typeof p.value === 'number') out.push(p.key, p.ts, p.value);
  }
  return numeric;
}

/** The batches packed by packBatch, in order. */
export function* unpackBatches(data: readonly unknown[]): Generator<PointBatch> {
  let i = 0;
  while (i < data.length) {
    const tenantId = data[i++] as string;
    const deviceId = data[i++] as string;
    const transport = data[i++] as PointBatch['transport'];
    const receivedAt = data[i++] as number;
    const n = data[i++] as number;
    const points: PointBatch['points'] = new Array(n);
    for (let j = 0; j < n; j++, i += 3) points[j] = { key: data[i] as string, ts: data[i + 1] as number, value: data[i + 2] as number };
    yield { tenantId, deviceId, transport, receivedAt, points };
  }
}
