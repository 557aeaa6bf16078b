// The wire form of a PointBatch on the bus: compact JSON, points as [key, ts, value] triples.
import type { PointBatch, SequencedBatch, TelemetryValue, Transport } from '../../ports/telemetry.js';

/** What encodeBatch writes (as text) and decodeBatch reads. */
interface Wire {
  t: string;
  d: string;
  tr: Transport;
  ra: number;
  p: [string, number, TelemetryValue][];
}

// Encoded batches are cut from a large slab rather than Buffer.from's 8 KiB pool: a new pool every
// ~50 messages made allocating backing stores ~1% of the ingest main thread (issue #9). An encoded
// batch lives only until the log has copied it into its write, so a slab is soon free again.
const SLAB_BYTES = 256 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

function bytesOf(text: string): Buffer {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; larger texts get a buffer of their own.
  const room = text.length * 3;
  if (room > SLAB_BYTES / 4) return Buffer.from(text);
  if (slabUsed + room > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const start = slabUsed;
  const written = slab.write(text, start, 'utf8');
  // Next one 8-byte aligned, like Buffer.from's pool.
  slabUsed = (start + written + 7) & ~7;
  return slab.subarray(start, start + written);
}

/**
 * The text JSON.stringify gives for the wire object, built by hand: it was ~40% cheaper per
 * message (no array per point, quoted names reused), measured in issue #9's third pass. A test
 * checks it against JSON.stringify for every kind of value and awkward text.
 */
export function encodeBatch(batch: PointBatch): Buffer {
  let text = `{"t":${quoted(batch.tenantId)},"d":${quoted(batch.deviceId)},"tr":${quoted(batch.transport)},"ra":${numberText(batch.receivedAt)},"p":[`;
  const points = batch.points;
  // The points of a message mostly share one timestamp: its text is made once.
  let ts = NaN;
  let tsText = '';
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (p.ts !== ts) tsText = numberText((ts = p.ts));
    text += `${i === 0 ? '' : ','}[${quoted(p.key)},${tsText},${valueText(p.value)}]`;
  }
  return bytesOf(`${text}]}`);
}

/** Names (keys, ids) recur with every message: their quoted form is kept, up to a bound. */
const QUOTED_KEPT = 4096;
const quotedNames = new Map<string, string>();

function quoted(name: string): string {
  let text = quotedNames.get(name);
  if (text === undefined) {
    text = JSON.stringify(name);
    if (quotedNames.size >= QUOTED_KEPT) quotedNames.clear();
    quotedNames.set(name, text);
  }
  return text;
}

/** As JSON.stringify writes a number (non-finite ones, which validation refuses, as null). */
function numberText(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function valueText(value: TelemetryValue): string {
  switch (typeof value) {
    case 'number':
      return numberText(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return JSON.stringify(value) ?? 'null';
  }
}

export function decodeBatch(seq: number, data: Uint8Array): SequencedBatch {
  const wire = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as Wire;
  const points = wire.p.map(([key, ts, value]) => ({ key, ts, value }));
  return { seq, tenantId: wire.t, deviceId: wire.d, transport: wire.tr, receivedAt: wire.ra, points };
}

export const TELEMETRY_SUBJECT = 'telemetry';
