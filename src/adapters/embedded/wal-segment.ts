// Record framing of the embedded bus's write-ahead files.
//
// Current format (v2), 20-byte header then the body:
//   [u32 magic][u32 check][u32 body length][f64 seq][body]
// check = crc32(body) XOR a 32-bit mix of length and seq: one checksum that catches damage in
// body, length or seq at the cost of a single crc32 call per record (as cheap as v1, which left
// seq unchecked). The magic lets a reader find the next intact record after a damaged one (scan
// forward for the magic, accept a record whose check holds), so one bad record costs that
// record, not everything after it.
//
// Legacy format (v1), written before the magic existed: [u32 length][u32 crc32(body)][f64 seq][body].
// Files holding v1 records are still read record by record; a v1 record is recognised by its
// first word not being the magic (a v1 length equal to the magic would be a 2.7 GB record, far
// above MAX_BODY_BYTES). Resynchronising after damage finds both formats (see findNextRecord).
import { crc32 } from 'node:zlib';

export const MAGIC = 0xa1570ed1;
export const HEADER_BYTES = 20;
export const LEGACY_HEADER_BYTES = 16;
/** No message comes near this (HTTP bodies are capped at a few MiB); a larger length is damage. */
export const MAX_BODY_BYTES = 512 * 1024 * 1024;

/** Mixes the header words (length, seq's two halves) so any change to one flips about half the bits. */
function mixHeader(length: number, seqLow: number, seqHigh: number): number {
  let h = Math.imul(length ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ seqLow, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ seqHigh, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

function checkOf(record: Buffer, pos: number, body: Uint8Array): number {
  const mix = mixHeader(record.readUInt32LE(pos + 8), record.readUInt32LE(pos + 12), record.readUInt32LE(pos + 16));
  return (crc32(body) ^ mix) >>> 0;
}

export function encodeRecord(seq: number, body: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  encodeRecordInto(record, 0, seq, body);
  return record;
}

/** Writes the record at pos in target (which has room for it); returns the offset past it. */
export function encodeRecordInto(target: Buffer, pos: number, seq: number, body: Uint8Array): number {
  target.writeUInt32LE(MAGIC, pos);
  target.writeUInt32LE(body.length, pos + 8);
  target.writeDoubleLE(seq, pos + 12);
  target.writeUInt32LE(checkOf(target, pos, body), pos + 4);
  target.set(body, pos + HEADER_BYTES);
  return pos + HEADER_BYTES + body.length;
}

export interface DecodedRecord {
  seq: number;
  body: Buffer;
  /** Offset just past this record within the scanned buffer. */
  end: number;
}

/**
 * What lies at one offset: a whole valid record, a record that continues past the buffer
 * (`incomplete`, with its claimed total size once the header is there), or damage.
 */
export type RecordAt =
  | { kind: 'record'; record: DecodedRecord }
  | { kind: 'incomplete'; recordBytes: number | null }
  | { kind: 'damaged' };

export function recordAt(buf: Buffer, pos: number): RecordAt {
  const available = buf.length - pos;
  if (available < 4) return { kind: 'incomplete', recordBytes: null };
  if (buf.readUInt32LE(pos) === MAGIC) {
    if (available < HEADER_BYTES) return { kind: 'incomplete', recordBytes: null };
    // The length is checked by the checksum only once the whole record is read: a damaged one
    // may claim to be longer than it is, which costs a larger read before the damage shows.
    const length = buf.readUInt32LE(pos + 8);
    if (length > MAX_BODY_BYTES) return { kind: 'damaged' };
    const end = pos + HEADER_BYTES + length;
    if (end > buf.length) return { kind: 'incomplete', recordBytes: HEADER_BYTES + length };
    const body = buf.subarray(pos + HEADER_BYTES, end);
    if (checkOf(buf, pos, body) !== buf.readUInt32LE(pos + 4)) return { kind: 'damaged' };
    return { kind: 'record', record: { seq: buf.readDoubleLE(pos + 12), body, end } };
  }
  if (available < LEGACY_HEADER_BYTES) return { kind: 'incomplete', recordBytes: null };
  const length = buf.readUInt32LE(pos);
  if (length > MAX_BODY_BYTES) return { kind: 'damaged' };
  const end = pos + LEGACY_HEADER_BYTES + length;
  if (end > buf.length) return { kind: 'incomplete', recordBytes: LEGACY_HEADER_BYTES + length };
  const body = buf.subarray(pos + LEGACY_HEADER_BYTES, end);
  if (crc32(body) !== buf.readUInt32LE(pos + 4)) return { kind: 'damaged' };
  const seq = buf.readDoubleLE(pos + 8);
  if (!Number.isSafeInteger(seq) || seq < 1) return { kind: 'damaged' };
  return { kind: 'record', record: { seq, body, end } };
}

/**
 * Decodes whole records from buf starting at offset; stops at the first record that is
 * incomplete or damaged (`stop` says which) or after limit records.
 */
export function decodeRecords(
  buf: Buffer,
  offset: number,
  limit = Infinity,
): { records: DecodedRecord[]; end: number; stop: RecordAt['kind'] | 'limit' } {
  const records: DecodedRecord[] = [];
  let pos = offset;
  while (records.length < limit) {
    if (pos >= buf.length) return { records, end: pos, stop: 'incomplete' };
    const at = recordAt(buf, pos);
    if (at.kind !== 'record') return { records, end: pos, stop: at.kind };
    records.push(at.record);
    pos = at.record.end;
  }
  return { records, end: pos, stop: 'limit' };
}

const MAGIC_BYTES = Buffer.from([MAGIC & 0xff, (MAGIC >>> 8) & 0xff, (MAGIC >>> 16) & 0xff, MAGIC >>> 24]);

/**
 * Offset of the next whole, valid record after a damaged offset, or null if none follows.
 * A v2 record is found by its magic. With `legacy` (the segment holds v1 records) an offset
 * without the magic is tried too, but only if its seq field holds an integer above afterSeq (the
 * last good one) and its body checksum holds, which random bytes practically never do.
 */
export function findNextRecord(buf: Buffer, damagedAt: number, afterSeq = 0, legacy = false): number | null {
  if (!legacy) {
    for (let from = damagedAt + 1; ; ) {
      const candidate = buf.indexOf(MAGIC_BYTES, from);
      if (candidate < 0) return null;
      if (recordAt(buf, candidate).kind === 'record') return candidate;
      from = candidate + 1;
    }
  }
  for (let pos = damagedAt + 1; pos + 4 <= buf.length; pos++) {
    if (buf[pos] !== MAGIC_BYTES[0] || buf.readUInt32LE(pos) !== MAGIC) {
      if (pos + LEGACY_HEADER_BYTES > buf.length) continue;
      // Cheap byte tests first: a length below MAX_BODY_BYTES has a small top byte, and a
      // double holding an integer from 2 to 2^53 has 0x40-0x43 as its top byte.
      if (buf[pos + 3]! > MAX_BODY_BYTES >>> 24 || buf[pos + 15]! < 0x3f || buf[pos + 15]! > 0x43) continue;
      const seq = buf.readDoubleLE(pos + 8);
      if (!(seq > afterSeq && Number.isSafeInteger(seq))) continue;
    }
    if (recordAt(buf, pos).kind === 'record') return pos;
  }
  return null;
}

/** Whether a segment starts with a legacy v1 record (written before the magic existed). */
export function isLegacySegment(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) !== MAGIC;
}

/** A stretch of a segment that holds no valid record: `start` inclusive, `end` exclusive. */
export interface DamagedRange {
  start: number;
  end: number;
}

export interface SegmentScan {
  lastSeq: number | null;
  /** Damage with valid records after it: kept aside and skipped by readers. */
  damaged: DamagedRange[];
  /** Where the valid data ends; bytes past it are a torn tail (a crash mid-write). */
  validEnd: number;
  /** Holds records of the old format, so resynchronising must look for those too. */
  legacy: boolean;
}

/** Walks a whole segment file, finding every valid record, damaged stretch and a torn tail. */
export function scanSegment(buf: Buffer): SegmentScan {
  const damaged: DamagedRange[] = [];
  const legacy = isLegacySegment(buf);
  let lastSeq: number | null = null;
  let pos = 0;
  let validEnd = 0;
  while (pos < buf.length) {
    const at = recordAt(buf, pos);
    if (at.kind === 'record') {
      lastSeq = at.record.seq;
      pos = validEnd = at.record.end;
      continue;
    }
    // Incomplete at the end of the file, or damaged: is there an intact record further on?
    const next = findNextRecord(buf, pos, lastSeq ?? 0, legacy);
    if (next === null) break;
    damaged.push({ start: pos, end: next });
    pos = next;
  }
  return { lastSeq, damaged, validEnd, legacy };
}

export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, '0')}.wal`;
}

export function parseSegmentName(name: string): number | null {
  const match = /^(\d{16})\.wal$/.exec(name);
  return match ? Number(match[1]) : null;
}
