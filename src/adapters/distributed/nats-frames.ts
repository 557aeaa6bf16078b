// Several Bus messages in one JetStream message ("a frame"). JetStream's cost is per message
// (one request, one ack, one index entry): on this machine it acknowledges a few thousand
// messages a second whatever their size up to tens of kilobytes, so the publisher puts every
// message that arrives while earlier frames are on their way into one frame (group commit, as
// the embedded log does with fsync). A frame carries the header below; a message without it
// is a single Bus message, so frames and plain messages mix in one stream.
//
// Bus sequence numbers stay unique and increasing: message i of the frame stored at stream
// sequence s gets s * FRAME_SLOTS + i. A plain message is index 0.
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import type { BusMessage } from '../../ports/bus.js';

export const FRAME_HEADER = 'Vigil-Frame';
/** Most messages one frame holds; 2^53 / 256 stream sequences is decades at any real rate. */
export const FRAME_SLOTS = 256;
/** Frames stay well under NATS's default 1 MiB max_payload. */
export const FRAME_MAX_BYTES = 512 * 1024;
const LENGTH_BYTES = 4;

export function busSeq(streamSeq: number, index: number): number {
  return streamSeq * FRAME_SLOTS + index;
}

export function frameHeaders(count: number): MsgHdrs {
  const h = headers();
  h.set(FRAME_HEADER, String(count));
  return h;
}

/** Each message as a 4-byte little-endian length, then its bytes. */
export function encodeFrame(messages: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const m of messages) size += LENGTH_BYTES + m.byteLength;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const m of messages) {
    out.writeUInt32LE(m.byteLength, at);
    out.set(m, at + LENGTH_BYTES);
    at += LENGTH_BYTES + m.byteLength;
  }
  return out;
}

export function encodedSize(data: Uint8Array): number {
  return LENGTH_BYTES + data.byteLength;
}

/** The Bus messages a JetStream message carries: itself, or the contents of its frame. */
export function unpack(m: JsMsg): BusMessage[] {
  if (!m.headers?.has(FRAME_HEADER)) return [{ seq: busSeq(m.seq, 0), data: m.data }];
  const data = m.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: BusMessage[] = [];
  let at = 0;
  while (at + LENGTH_BYTES <= data.byteLength) {
    const length = view.getUint32(at, true);
    const start = at + LENGTH_BYTES;
    if (start + length > data.byteLength) throw new Error(`corrupt frame at stream sequence ${m.seq}`);
    out.push({ seq: busSeq(m.seq, out.length), data: data.subarray(start, start + length) });
    at = start + length;
  }
  if (at !== data.byteLength || String(out.length) !== m.headers.get(FRAME_HEADER)) {
    throw new Error(`corrupt frame at stream sequence ${m.seq}`);
  }
  return out;
}
