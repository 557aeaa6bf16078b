// The wire form of a PointBatch on the bus: compact JSON, points as [key, ts, value] triples.
// Decoding the very bytes this process encoded (the embedded log hands its consumers the records
// it just wrote, from memory) returns the batch they were made from instead of parsing them again.
import type { PointBatch, SequencedBatch, TelemetryPoint, TelemetryValue, Transport } from '../../ports/telemetry.js';

interface Wire {
  t: string;
  d: string;
  tr: Transport;
  ra: number;
  p: [string, number, TelemetryValue][];
}

/** Encoded bytes -> the batch they were encoded from; dropped with the bytes. */
const encodedFrom = new WeakMap<Uint8Array, PointBatch>();
/** A batch's points -> the bytes they were encoded to or decoded from; dropped with the points. */
const bytesOf = new WeakMap<readonly TelemetryPoint[], Uint8Array>();

/** The bus encoding of a batch: the bytes it came from or was encoded to, else encoded now. */
export function encodedBatch(batch: PointBatch): Uint8Array {
  return bytesOf.get(batch.points) ?? encodeBatch(batch);
}

export function encodeBatch(batch: PointBatch): Buffer {
  // One JSON.stringify of the whole wire object: measured faster than building the text by hand
  // (template strings per point cost more than the small arrays they save).
  const wire: Wire = {
    t: batch.tenantId,
    d: batch.deviceId,
    tr: batch.transport,
    ra: batch.receivedAt,
    p: batch.points.map((p) => [p.key, p.ts, p.value]),
  };
  const data = Buffer.from(JSON.stringify(wire));
  encodedFrom.set(data, batch);
  bytesOf.set(batch.points, data);
  return data;
}

export function decodeBatch(seq: number, data: Uint8Array): SequencedBatch {
  const held = encodedFrom.get(data);
  if (held) return { seq, tenantId: held.tenantId, deviceId: held.deviceId, transport: held.transport, receivedAt: held.receivedAt, points: held.points };
  const wire = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as Wire;
  const points = wire.p.map(([key, ts, value]) => ({ key, ts, value }));
  bytesOf.set(points, data);
  return { seq, tenantId: wire.t, deviceId: wire.d, transport: wire.tr, receivedAt: wire.ra, points };
}

export const TELEMETRY_SUBJECT = 'telemetry';
