// SenML (RFC 8428) JSON packs to Vigil points, written from the RFC:
// - base fields (bn, bt, bu, bv, bs) apply to their own record and every later one until
//   replaced (§4.1); name = bn + n, time = bt + t, value = bv + v, sum = bs + s (§4.5);
// - a resolved time below 2^28 s is relative to now (§4.5.3); time and ut are in seconds;
// - each record carries one of v, vs, vb, vd, or only a sum s (§4.2); vd (base64url data) is kept
//   as its string; a record with a value and a sum keeps the sum as `<name>.sum`;
// - a field ending in "_" must be understood or the pack rejected (§4.4): Vigil knows none.
// Units (u, else bu) come back per key so they can be kept as key metadata.
import type { TelemetryPoint, TelemetryValue } from '../../../ports/telemetry.js';
import { PayloadError, payloadText } from '../payload.js';

export interface SenmlLimits {
  nowMs: number;
  maxFutureSkewMs: number;
}

export interface SenmlResult {
  points: TelemetryPoint[];
  /** Unit per key, for keys whose record (or base) named one. */
  units: Map<string, string>;
}

/** §4.5.3: times below 2^28 seconds (about 8.5 years) are relative to now. */
const RELATIVE_TIME_LIMIT_S = 2 ** 28;
/** §4.5.1: names start with a letter or digit; then letters, digits and - : . / _ */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9\-:./_]*$/;
const MAX_KEY_LENGTH = 255;
/** The version this parser implements (RFC 8428 is version 10). */
const SENML_VERSION = 10;

export function parseSenmlJson(payload: Buffer | string, limits: SenmlLimits): SenmlResult {
  const text = payloadText(payload);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PayloadError('invalid_json', `SenML payload is not valid JSON: ${(err as Error).message}`);
  }
  return senmlToPoints(json, limits);
}

export function senmlToPoints(pack: unknown, limits: SenmlLimits): SenmlResult {
  if (!Array.isArray(pack)) throw new PayloadError('invalid_shape', 'a SenML pack is a JSON array of records');
  const points: TelemetryPoint[] = [];
  const units = new Map<string, string>();
  let bn = '';
  let bt = 0;
  let bu: string | undefined;
  let bv = 0;
  let bs = 0;
  for (let i = 0; i < pack.length; i++) {
    const record = pack[i] as Record<string, unknown>;
    const at = `record [${i}]`;
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new PayloadError('invalid_shape', `${at} must be an object`);
    // §4.4: other unknown fields are ignored.
    const mustUnderstand = Object.keys(record).find((field) => field.endsWith('_'));
    if (mustUnderstand) throw new PayloadError('invalid_shape', `${at}: must-understand field "${mustUnderstand}" is not supported`);
    if (record.bver !== undefined && (typeof record.bver !== 'number' || record.bver > SENML_VERSION)) {
      throw new PayloadError('invalid_shape', `${at}: SenML version ${String(record.bver)} is newer than the supported ${SENML_VERSION}`);
    }
    if (record.bn !== undefined) bn = str(record.bn, `${at}.bn`);
    if (record.bt !== undefined) bt = num(record.bt, `${at}.bt`);
    if (record.bu !== undefined) bu = str(record.bu, `${at}.bu`);
    if (record.bv !== undefined) bv = num(record.bv, `${at}.bv`);
    if (record.bs !== undefined) bs = num(record.bs, `${at}.bs`);

    const name = bn + (record.n === undefined ? '' : str(record.n, `${at}.n`));
    if (!NAME_PATTERN.test(name)) throw new PayloadError('invalid_shape', `${at}: resolved name "${name}" is not a valid SenML name`);
    if (name.length > MAX_KEY_LENGTH) throw new PayloadError('invalid_shape', `${at}: name is longer than ${MAX_KEY_LENGTH} characters`);
    const ts = resolveTime(bt + (record.t === undefined ? 0 : num(record.t, `${at}.t`)), limits, at);

    const values: [string, TelemetryValue][] = [];
    const given = ['v', 'vs', 'vb', 'vd'].filter((f) => record[f] !== undefined);
    if (given.length > 1) throw new PayloadError('invalid_shape', `${at} has more than one value field (${given.join(', ')})`);
    if (record.v !== undefined) values.push([name, finite(bv + num(record.v, `${at}.v`), `${at}.v`)]);
    else if (record.vs !== undefined) values.push([name, str(record.vs, `${at}.vs`)]);
    else if (record.vb !== undefined) values.push([name, bool(record.vb, `${at}.vb`)]);
    else if (record.vd !== undefined) values.push([name, str(record.vd, `${at}.vd`)]);
    if (record.s !== undefined) {
      const sum = finite(bs + num(record.s, `${at}.s`), `${at}.s`);
      values.push([values.length ? `${name}.sum` : name, sum]);
    }
    if (values.length === 0) {
      // A record with only base fields sets context for the next ones (§4.1 allows it).
      if (record.n === undefined && Object.keys(record).every((f) => f.startsWith('b'))) continue;
      throw new PayloadError('invalid_shape', `${at} has no value (v, vs, vb, vd) or sum (s)`);
    }
    const unit = record.u !== undefined ? str(record.u, `${at}.u`) : bu;
    for (const [key, value] of values) {
      points.push({ key, ts, value });
      if (unit) units.set(key, unit);
    }
  }
  if (points.length === 0) throw new PayloadError('empty', 'SenML pack contains no records with values');
  return { points, units };
}

function resolveTime(seconds: number, limits: SenmlLimits, at: string): number {
  const ms = seconds < RELATIVE_TIME_LIMIT_S ? limits.nowMs + seconds * 1000 : seconds * 1000;
  const rounded = Math.round(ms);
  if (!Number.isSafeInteger(rounded) || rounded < 0) throw new PayloadError('invalid_timestamp', `${at}: time is out of range`);
  if (rounded > limits.nowMs + limits.maxFutureSkewMs) {
    throw new PayloadError('future_timestamp', `${at}: time is more than ${limits.maxFutureSkewMs} ms in the future (SenML times are seconds)`, {
      ts: rounded,
      serverTime: limits.nowMs,
    });
  }
  return rounded;
}

function num(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new PayloadError('invalid_value', `${where} must be a number`);
  return value;
}

function finite(value: number, where: string): number {
  if (!Number.isFinite(value)) throw new PayloadError('invalid_value', `${where} is not finite`);
  return value;
}

function str(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new PayloadError('invalid_value', `${where} must be a string`);
  return value;
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new PayloadError('invalid_value', `${where} must be true or false`);
  return value;
}
