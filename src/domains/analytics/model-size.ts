// Estimated heap bytes of a model's state, for the model memory budget. Detector state is plain
// data (objects, arrays of numbers, a few strings), so one walk over it prices it (long arrays
// by a sample of their elements): no serialization, no allocation. The per-value costs are V8's on 64-bit Node (no pointer
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

/**
 * Arrays longer than this are priced from an evenly spread sample of this many elements. Detector
 * arrays are homogeneous (a buffer of numbers, of [ts, value] pairs, of equally shaped rows), so
 * the sample prices them exactly, and re-estimating a model every few dozen of its points costs
 * a walk over a few hundred values instead of its whole warm-up buffer (thousands).
 */
const SAMPLED_ARRAY_ELEMENTS = 32;

/** Estimated heap bytes held by a detector state (plain data: objects, arrays, numbers, strings). */
export function estimateHeapBytes(value: unknown): number {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? STRING_HEADER_BYTES + value.length : 0;
  if (Array.isArray(value)) return OBJECT_BYTES + value.length * SLOT_BYTES + arrayElementsBytes(value);
  if (ArrayBuffer.isView(value)) return OBJECT_BYTES * 2 + value.byteLength;
  let bytes = OBJECT_BYTES;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    bytes += SLOT_BYTES + (typeof v === 'number' ? BOXED_NUMBER_BYTES : estimateHeapBytes(v));
  }
  return bytes;
}

/** What an array's elements hold beyond their slots: every element when short, a sample when long. */
function arrayElementsBytes(values: readonly unknown[]): number {
  const n = values.length;
  if (n <= SAMPLED_ARRAY_ELEMENTS * 2) {
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += elementBytes(values[i]);
    return bytes;
  }
  const stride = n / SAMPLED_ARRAY_ELEMENTS;
  let sampled = 0;
  for (let i = 0; i < SAMPLED_ARRAY_ELEMENTS; i++) sampled += elementBytes(values[Math.floor(i * stride)]);
  return Math.round((sampled * n) / SAMPLED_ARRAY_ELEMENTS);
}

function elementBytes(v: unknown): number {
  return typeof v === 'number' ? BOXED_NUMBER_BYTES : estimateHeapBytes(v);
}
