// Parses a device telemetry payload in any of ThingsBoard's forms into points:
//   {"k":v,...} | {"ts":ms,"values":{...}} | an array of either.
// An object with both `ts` and `values` is a timestamped entry; otherwise every key is a data
// point at server time. Pure: the clock and limits come in as arguments.
// Keys are data: they are read with Object.keys/Object.hasOwn, never through the prototype, so
// "constructor", "toString" or "__proto__" (an own property after JSON.parse) are keys like any other.
// Text must round-trip: invalid UTF-8 bytes and lone surrogates are rejected, not replaced.
import type { TelemetryPoint, TelemetryValue } from '../../ports/telemetry.js';
import { isValidUtf8, isWellFormedText } from '../../util/unicode.js';
import { parsePlainPayload } from './plain-payload.js';
import { MAX_KEY_LENGTH, MIN_TS_MS } from './payload-rules.js';

export type RejectReason =
  | 'invalid_json'
  | 'invalid_utf8'
  | 'invalid_shape'
  | 'invalid_value'
  | 'invalid_timestamp'
  | 'future_timestamp'
  | 'empty'
  | 'too_large'
  | 'too_many_points'
  | 'too_many_keys'
  | 'too_many_series'
  | 'unauthorized'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'unknown_topic'
  | 'schema_violation'
  | 'schema_flagged';

export class PayloadError extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ParseLimits {
  nowMs: number;
  maxFutureSkewMs: number;
  /** Points one message may carry; parsing stops as soon as it is passed. Unlimited when absent. */
  maxPoints?: number;
}


/** The payload as text; bytes that are not valid UTF-8 are refused rather than decoded to U+FFFD. */
export function payloadText(payload: Buffer | string): string {
  if (typeof payload === 'string') return payload;
  if (!isValidUtf8(payload)) throw new PayloadError('invalid_utf8', 'payload is not valid UTF-8');
  return payload.toString('utf8');
}

export function parseTelemetryPayload(payload: Buffer | string, limits: ParseLimits): TelemetryPoint[] {
  if (typeof payload !== 'string') {
    const plain = parsePlainPayload(payload, limits);
    if (plain) return plain;
  }
  const text = payloadText(payload);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PayloadError('invalid_json', `payload is not valid JSON: ${(err as Error).message}`);
  }
  return telemetryFromJson(json, limits);
}

export function telemetryFromJson(json: unknown, limits: ParseLimits): TelemetryPoint[] {
  const points: TelemetryPoint[] = [];
  if (Array.isArray(json)) {
    for (let i = 0; i < json.length; i++) addEntry(json[i], limits, points, `[${i}]`);
  } else {
    addEntry(json, limits, points, '');
  }
  if (points.length === 0) throw new PayloadError('empty', 'payload contains no data points');
  return points;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function addEntry(entry: unknown, limits: ParseLimits, out: TelemetryPoint[], path: string): void {
  if (!isPlainObject(entry)) {
    throw new PayloadError(
      'invalid_shape',
      `${path || 'payload'} must be an object like {"key":value} or {"ts":ms,"values":{...}}`,
    );
  }
  if (Object.hasOwn(entry, 'ts') && Object.hasOwn(entry, 'values')) {
    const ts = entry.ts;
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
      throw new PayloadError('invalid_timestamp', `${path}.ts must be an integer epoch in milliseconds`, { ts });
    }
    if (ts < MIN_TS_MS) {
      throw new PayloadError('invalid_timestamp', `${path}.ts=${ts} is before 1973: send epoch milliseconds, not seconds`, { ts });
    }
    if (ts > limits.nowMs + limits.maxFutureSkewMs) {
      throw new PayloadError(
        'future_timestamp',
        `${path}.ts=${ts} is more than ${limits.maxFutureSkewMs} ms in the future (server time ${limits.nowMs})`,
        { ts, serverTime: limits.nowMs },
      );
    }
    if (!isPlainObject(entry.values)) throw new PayloadError('invalid_shape', `${path}.values must be an object`);
    addValues(entry.values, ts, limits, out, `${path}.values`);
  } else {
    addValues(entry, limits.nowMs, limits, out, path);
  }
}

function addValues(values: Record<string, unknown>, ts: number, limits: ParseLimits, out: TelemetryPoint[], path: string): void {
  const keys = Object.keys(values);
  const maxPoints = limits.maxPoints ?? Infinity;
  if (out.length + keys.length > maxPoints) {
    throw new PayloadError('too_many_points', `a message may carry at most ${maxPoints} points (maxPointsPerMessage)`, {
      limit: maxPoints,
    });
  }
  for (const key of keys) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new PayloadError('invalid_shape', `keys must be 1-${MAX_KEY_LENGTH} characters`, { key });
    }
    if (!isWellFormedText(key)) {
      throw new PayloadError('invalid_utf8', `${path || 'payload'} has a key with a lone surrogate (invalid Unicode)`, {
        key: escapeSurrogates(key),
      });
    }
    out.push({ key, ts, value: checkValue(values[key], path, key) });
  }
}

/** A lone surrogate cannot even be written into a JSON response honestly: show it escaped. */
function escapeSurrogates(text: string): string {
  return text.replace(/[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** `path` and `key` name the value in an error; joined only then (this runs once per point). */
const at = (path: string, key: string) => `${path}.${key}`;

function checkValue(value: unknown, path: string, key: string): TelemetryValue {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new PayloadError('invalid_value', `${at(path, key)} is not a finite number`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw new PayloadError('invalid_value', `${at(path, key)}: big integer values are not supported`, { value });
      }
      return value;
    case 'string':
      if (!isWellFormedText(value)) {
        throw new PayloadError('invalid_utf8', `${escapeSurrogates(at(path, key))} has a lone surrogate (invalid Unicode)`);
      }
      return value;
    case 'boolean':
      return value;
    default:
      throw new PayloadError(
        'invalid_value',
        `${at(path, key)} must be a number, boolean or string, got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`,
      );
  }
}
