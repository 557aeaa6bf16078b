// Estimated heap bytes of a model's state, for the model memory budget. Detector state is plain
// data (objects, arrays of numbers, a few strings), so one walk over it prices it: no
// serialization, no allocation. The per-value costs are V8's on 64-bit Node (no pointer
// compression), calibrated against measured heap growth of real detectors (scripts/measure-series-heap.ts):
// state restored from a snapshot (structuredClone, JSON) holds its numbers boxed in generic
// arrays, 24 bytes each, and that is what is counted. Meant to be within ~25% of what the garbage
// collector sees, not exact.

/** Header of a plain object or array (map, properties and elements pointers, length). */
const OBJECT_BYTES = 32;
/** One property slot or array element (a pointer). */
const SLOT_BYTES = 8;
/** A number stored in an object property or a generic array is a boxed HeapNumber. */
const BOXED_NUMBER_BYTES = 16;
/** A detector's closures and working arrays (update, snapshot, row buffers, config copies). */
export const DETECTOR_OVERHEAD_BYTES = 700;
const STRING_HEADER_BYTES = 16;

/** Estimated heap bytes held by a detector state (plain data: objects, arrays, numbers, strings). */
export function estimateHeapBytes(value: unknown): number {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? STRING_HEADER_BYTES + value.length : 0;
  if (Array.isArray(value)) {
    let bytes = OBJECT_BYTES + value.length * SLOT_BYTES;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      bytes += typeof v === 'number' ? BOXED_NUMBER_BYTES : estimateHeapBytes(v);
    }
    return bytes;
  }
  if (ArrayBuffer.isView(value)) return OBJECT_BYTES * 2 + value.byteLength;
  let bytes = OBJECT_BYTES;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    bytes += SLOT_BYTES + (typeof v === 'number' ? BOXED_NUMBER_BYTES : estimateHeapBytes(v));
  }
  return bytes;
}
