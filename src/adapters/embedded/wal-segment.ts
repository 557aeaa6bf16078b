// Record framing of the embedded bus's write-ahead files.
// A record is [u32 length][u32 crc32 of body][f64 seq][body]; a torn tail (crash mid-write)
// fails the length or CRC check and is cut off when the log is opened.
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 16;

export function encodeRecord(seq: number, body: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  record.writeUInt32LE(body.length, 0);
  record.writeUInt32LE(crc32(body), 4);
  record.writeDoubleLE(seq, 8);
  record.set(body, HEADER_BYTES);
  return record;
}

export interface DecodedRecord {
  seq: number;
  body: Buffer;
  /** Offset just past this record within the scanned buffer. */
  end: number;
}

/** Decodes whole records from buf starting at offset; stops at the first incomplete or corrupt one. */
export function decodeRecords(buf: Buffer, offset: number, limit = Infinity): { records: DecodedRecord[]; end: number; corrupt: boolean } {
  const records: DecodedRecord[] = [];
  let pos = offset;
  while (records.length < limit && pos + HEADER_BYTES <= buf.length) {
    const length = buf.readUInt32LE(pos);
    const bodyStart = pos + HEADER_BYTES;
    if (bodyStart + length > buf.length) break;
    const body = buf.subarray(bodyStart, bodyStart + length);
    if (crc32(body) !== buf.readUInt32LE(pos + 4)) return { records, end: pos, corrupt: true };
    const end = bodyStart + length;
    records.push({ seq: buf.readDoubleLE(pos + 8), body, end });
    pos = end;
  }
  return { records, end: pos, corrupt: false };
}

export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, '0')}.wal`;
}

export function parseSegmentName(name: string): number | null {
  const match = /^(\d{16})\.wal$/.exec(name);
  return match ? Number(match[1]) : null;
}
