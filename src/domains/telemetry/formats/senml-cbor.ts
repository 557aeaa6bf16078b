// SenML in CBOR (RFC 8428 §6): the same records as JSON, with integer labels for the fields and
// `vd` as a byte string. Decoded with the `cbor` package, then mapped onto the JSON field names
// so one resolver (senml.ts) serves both.
import cbor from 'cbor';
import { PayloadError } from '../payload.js';
import { senmlToPoints, type SenmlLimits, type SenmlResult } from './senml.js';

/** RFC 8428 Table 4: CBOR labels of the SenML fields. */
const LABELS: ReadonlyMap<number, string> = new Map([
  [-1, 'bver'],
  [-2, 'bn'],
  [-3, 'bt'],
  [-4, 'bu'],
  [-5, 'bv'],
  [-6, 'bs'],
  [0, 'n'],
  [1, 'u'],
  [2, 'v'],
  [3, 'vs'],
  [4, 'vb'],
  [5, 's'],
  [6, 't'],
  [7, 'ut'],
  [8, 'vd'],
]);
/** A pack is a flat array of flat maps: anything deeper is not SenML. */
const MAX_DEPTH = 4;

export function parseSenmlCbor(payload: Buffer, limits: SenmlLimits): SenmlResult {
  let decoded: unknown;
  try {
    decoded = cbor.decodeFirstSync(payload, { preferMap: true, max_depth: MAX_DEPTH });
  } catch (err) {
    throw new PayloadError('invalid_shape', `SenML payload is not valid CBOR: ${(err as Error).message}`);
  }
  if (!Array.isArray(decoded)) throw new PayloadError('invalid_shape', 'a SenML pack is a CBOR array of records');
  return senmlToPoints(decoded.map(toJsonRecord), limits);
}

function toJsonRecord(record: unknown, i: number): Record<string, unknown> {
  if (!(record instanceof Map)) throw new PayloadError('invalid_shape', `record [${i}] must be a CBOR map`);
  // Null prototype: field names come from the device.
  const out: Record<string, unknown> = Object.create(null);
  for (const [label, value] of record) {
    const name = typeof label === 'number' ? LABELS.get(label) : typeof label === 'string' ? label : undefined;
    // Labels this version does not know are skipped, as unknown JSON fields are (§4.4); a
    // string label ending in "_" still reaches the must-understand check in senml.ts.
    if (name === undefined) continue;
    out[name] = name === 'vd' && Buffer.isBuffer(value) ? value.toString('base64url') : value;
  }
  return out;
}
